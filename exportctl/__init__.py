"""exportctl: export Voucherify data as CSV files, from the command line or from Python.

    import exportctl
    result = exportctl.export("voucher", fields=["code", "value"], output="vouchers.csv")
    done = exportctl.run("nightly.yaml")  # and exportctl.wait(ID), exportctl.download(ID), exportctl.list_exports()

The names below are imported on first use, so that `exportctl --help` and TAB completion, which import
this package too, do not pay for requests or yaml.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "__version__": "exportctl.version",
    "export": "exportctl.library",
    "plan": "exportctl.library",
    "wait": "exportctl.library_jobs",
    "download": "exportctl.library_jobs",
    "list_exports": "exportctl.library_jobs",
    "run": "exportctl.library_jobs",
    "ExportResult": "exportctl.engine.result",
    "WaitResult": "exportctl.engine.existing_result",
    "ListResult": "exportctl.engine.existing_result",
    "RunResult": "exportctl.engine.run_result",
    "RunEntry": "exportctl.engine.run_result",
    "ConfigProblemsError": "exportctl.errors",
    "PlannedExport": "exportctl.library",
    "Settings": "exportctl.settings",
    "ExitCode": "exportctl.errors",
    "ExportctlError": "exportctl.errors",
    "UsageError": "exportctl.errors",
    "ValidationError": "exportctl.errors",
    "ConfigError": "exportctl.errors",
    "AuthError": "exportctl.errors",
    "ApiError": "exportctl.errors",
    "NotFoundError": "exportctl.errors",
    "NetworkError": "exportctl.errors",
    "ExportFailedError": "exportctl.errors",
    "WaitTimeoutError": "exportctl.errors",
    "DownloadError": "exportctl.errors",
    "OutputError": "exportctl.errors",
    "LockedError": "exportctl.errors",
    "InterruptedByUser": "exportctl.errors",
    "UnparsedValueError": "exportctl.errors",
    "WrongClusterError": "exportctl.errors",
    "QuotaError": "exportctl.errors",
}

__all__ = [
    "ApiError",
    "AuthError",
    "ConfigError",
    "ConfigProblemsError",
    "DownloadError",
    "ExitCode",
    "ExportFailedError",
    "ExportResult",
    "ExportctlError",
    "InterruptedByUser",
    "ListResult",
    "LockedError",
    "NetworkError",
    "NotFoundError",
    "OutputError",
    "PlannedExport",
    "QuotaError",
    "RunEntry",
    "RunResult",
    "Settings",
    "UnparsedValueError",
    "UsageError",
    "ValidationError",
    "WaitResult",
    "WaitTimeoutError",
    "WrongClusterError",
    "__version__",
    "download",
    "export",
    "list_exports",
    "plan",
    "run",
    "wait",
]

if TYPE_CHECKING:
    from exportctl.engine.existing_result import ListResult, WaitResult
    from exportctl.engine.result import ExportResult
    from exportctl.engine.run_result import RunEntry, RunResult
    from exportctl.errors import (
        ApiError,
        AuthError,
        ConfigError,
        ConfigProblemsError,
        DownloadError,
        ExitCode,
        ExportctlError,
        ExportFailedError,
        InterruptedByUser,
        LockedError,
        NetworkError,
        NotFoundError,
        OutputError,
        QuotaError,
        UnparsedValueError,
        UsageError,
        ValidationError,
        WaitTimeoutError,
        WrongClusterError,
    )
    from exportctl.library import PlannedExport, export, plan
    from exportctl.library_jobs import download, list_exports, run, wait
    from exportctl.settings import Settings
    from exportctl.version import __version__


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'exportctl' has no attribute '{name}'")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
