"""exportctl: export Voucherify data as CSV files."""

__version__ = "0.1.0"
