"""A thin test client for the sandbox: create an export, wait for it, download it, parse the CSV."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import requests

from exportctl.sandbox import Sandbox
from exportctl.schema import API_OBJECTS


class Api:
    """A thin client for the tests: create an export, wait for it, download it, parse the CSV."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.headers.update(sandbox.headers)

    def url(self, path: str) -> str:
        return self.sandbox.base_url + path

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url(path), json=body, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=10, **kwargs)

    def create(self, exported_object: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"exported_object": exported_object}
        if parameters is not None:
            body["parameters"] = parameters
        response = self.post("/v1/exports", body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait(self, export_id: str, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            export = self.get(f"/v1/exports/{export_id}").json()
            if export["status"] in ("DONE", "ERROR"):
                return dict(export)
            time.sleep(0.02)
        raise AssertionError(f"export {export_id} did not finish")

    def csv_text(self, export: dict[str, Any]) -> str:
        done = self.wait(export["id"])
        assert done["status"] == "DONE", done
        response = self.session.get(done["result"]["url"], timeout=10)
        assert response.status_code == 200, response.text
        return response.content.decode("utf-8")

    def rows(self, exported_object: str, parameters: dict[str, Any] | None = None) -> list[dict[str, str]]:
        """The export's rows as dicts keyed by the CSV header's titles."""
        text = self.csv_text(self.create(exported_object, parameters))
        return list(csv.DictReader(io.StringIO(text, newline="")))

    def cells(self, export: dict[str, Any]) -> list[list[str]]:
        """The data rows of an export, cells in the order of its fields (whatever the header's titles)."""
        return list(csv.reader(io.StringIO(self.csv_text(export), newline="")))[1:]

    @staticmethod
    def error(response: requests.Response, status: int, key: str) -> dict[str, Any]:
        """The Voucherify error body, checked for the documented shape, status and key."""
        assert response.status_code == status, response.text
        body = response.json()
        assert set(body) >= {"code", "key", "message", "details", "request_id"}, body
        assert body["code"] == status
        assert body["key"] == key, body
        assert body["request_id"].startswith("v-")
        int(body["request_id"][2:], 16)
        for header in ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Retry"):
            assert header in response.headers
        return dict(body)

    @staticmethod
    def unauthorized(response: requests.Response) -> None:
        """A refused API key: the real API's body, exactly, with no details or request_id in it."""
        assert response.status_code == 401, response.text
        assert response.json() == {"code": 401, "message": "Unauthorized", "key": "unauthorized"}
        assert response.headers["X-Request-Id"].startswith("v-")
        for header in ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Retry"):
            assert header in response.headers

    def ids(self, exported_object: str, filters: dict[str, Any], field: str = "id") -> list[str]:
        """The values of one field over the rows an export with these filters returns, sorted."""
        rows = self.rows(exported_object, {"fields": [field], "filters": filters})
        return sorted(row[API_OBJECTS[exported_object].title_of(field)] for row in rows)
