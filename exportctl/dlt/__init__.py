"""A dlt source of Voucherify's Export API: `from exportctl.dlt import voucherify_source` (the `dlt` extra).

Importing this package imports neither dlt nor pyarrow: they load when a source is made (source.py).
"""

from __future__ import annotations

from exportctl.dlt.source import voucherify_source

__all__ = ["voucherify_source"]
