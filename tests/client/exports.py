"""An export the sandbox has finished, for the client's tests."""

from __future__ import annotations

import time

from exportctl.client.api import ApiClient
from exportctl.request.model import ExportRequest


def done_export_url(client: ApiClient, request: ExportRequest) -> str:
    """Create an export of `request` and wait (at most 10 s) until it is DONE; its download URL."""
    export = client.create_export(request.endpoint(), request.body())
    deadline = time.monotonic() + 10
    while export["status"] != "DONE" and time.monotonic() < deadline:
        time.sleep(0.02)
        export = client.get_export(export["id"])
    return str(export["result"]["url"])
