"""The package's version and the User-Agent every request sends: a base module, so that the HTTP client
below the door reads them without importing the door (`exportctl/__init__.py`)."""

from __future__ import annotations

__version__ = "0.1.0"
USER_AGENT = f"exportctl/{__version__}"
