"""The API log family: one entry per request the project answered, from the catalog's own random stream.

Each entry has the method and endpoint of a real Voucherify call, the URL with the generated codes and ids in
it, the channel (API with an application ID, WEBSITE with a dashboard user, CLIENT_API with a client-side
application ID), the status, how long the answer took, and both bodies as compact JSON text (none for a body
the call does not have). The entries span the 90 days before the data's end.
"""

from __future__ import annotations

from typing import Any

from exportctl.sandbox.names import API_CALLS, API_CHANNELS, API_ERRORS, DASHBOARD_USERS
from exportctl.sandbox.records import DAY_MS, Batches, compact_json, iso_ms
from exportctl.sandbox.stream import Stream

API_HOST = "https://api.voucherify.io"
LOG_DAYS = 90
# The project's keys: two server-side applications and one client-side one.
APP_IDS = ("8a0f27b1-3c7e-4d54-9a61-2f4c1d0e9b3a", "c2d9e4f0-6b1a-4e8c-b7d3-5a9e0f1c2d47")
CLIENT_APP_IDS = ("0f6e5d4c-3b2a-4190-8e7d-6c5b4a392817",)


class ApiLogRecords(Stream):
    def api_logs(
        self, batches: Batches, count: int, codes: list[str], skus: list[str], *, at: int | None = None
    ) -> None:
        """`count` entries over the last 90 days (all at `at`, when given), naming these codes and SKUs."""
        rng = self.catalog_rng
        customers = self.customers.ids or ["cust_sandbox"]
        codes = codes or ["SANDBOX"]
        start = max(self.start_ms, self.anchor_ms - LOG_DAYS * DAY_MS)
        moments = [at] * count if at is not None else sorted(rng.randrange(start, self.anchor_ms) for _ in range(count))
        for at in moments:
            method, endpoint, ok_status = rng.choice(API_CALLS)
            code, customer = rng.choice(codes), rng.choice(customers)
            path = endpoint.format(code=code, customerId=customer, exportId="exp_" + rng.randbytes(9).hex())
            channel = rng.choice(API_CHANNELS)
            failed = rng.random() < 0.08
            status, key, message = rng.choice(API_ERRORS) if failed else (ok_status, "", "")
            request = self._request_body(method, endpoint, code, customer, skus)
            if failed:
                response: Any = {"code": status, "key": key, "message": message, "request_id": None}
            else:
                response = self._response_body(method, endpoint, code, customer)
            request_id = "v-" + rng.randbytes(10).hex()
            if isinstance(response, dict) and "request_id" in response:
                response["request_id"] = request_id
            query = "?limit=10&page=1" if endpoint == "/v1/campaigns" else ""
            batches.add(
                "api_log",
                {
                    "id": "log_" + rng.randbytes(12).hex(),
                    "created_at": iso_ms(at),
                    "status": status,
                    "request_id": request_id,
                    "channel": channel,
                    "method": method,
                    "endpoint": endpoint,
                    "url": f"{API_HOST}{path}{query}",
                    "user_email": rng.choice(DASHBOARD_USERS) if channel == "WEBSITE" else None,
                    "app_id": rng.choice(APP_IDS) if channel == "API" else None,
                    "client_app_id": CLIENT_APP_IDS[0] if channel == "CLIENT_API" else None,
                    "request_duration": int(rng.lognormvariate(4.3, 0.7)) + 3,
                    "request_body": None if request is None else compact_json(request),
                    "response_body": None if status == 204 else compact_json(response),
                },
            )

    def _request_body(
        self, method: str, endpoint: str, code: str, customer: str, skus: list[str]
    ) -> dict[str, Any] | None:
        rng = self.catalog_rng
        if method in ("GET", "DELETE"):
            return None
        amount = rng.randrange(10, 300) * 100
        items = [{"sku_id": rng.choice(skus), "quantity": rng.randrange(1, 4)}] if skus else []
        bodies: dict[str, dict[str, Any]] = {
            "/v1/validations": {"redeemables": [{"object": "voucher", "id": code}], "order": {"amount": amount}},
            "/v1/redemptions": {
                "redeemables": [{"object": "voucher", "id": code}],
                "customer": {"id": customer},
                "order": {"amount": amount, "items": items},
            },
            "/v1/qualifications": {"customer": {"id": customer}, "scenario": "ALL"},
            "/v1/customers": {"source_id": f"customer-{rng.randrange(10**6):06d}", "name": "New Customer"},
            "/v1/customers/{customerId}": {"metadata": {"tier": rng.choice(("silver", "gold"))}},
            "/v1/orders": {"amount": amount, "customer": {"id": customer}, "items": items},
            "/v1/publications": {"customer": {"id": customer}, "voucher": code},
            "/v1/exports": {"exported_object": "voucher", "parameters": {"fields": ["code", "value"]}},
            "/v1/vouchers/{code}": {"active": rng.random() < 0.5},
        }
        return bodies.get(endpoint, {})

    def _response_body(self, method: str, endpoint: str, code: str, customer: str) -> dict[str, Any]:
        rng = self.catalog_rng
        if endpoint == "/v1/vouchers/{code}":
            return {"object": "voucher", "code": code, "active": True}
        if endpoint == "/v1/validations":
            return {"valid": rng.random() < 0.8, "redeemables": [{"status": "APPLICABLE", "id": code}]}
        if endpoint == "/v1/redemptions":
            return {"object": "redemption", "id": "r_" + rng.randbytes(9).hex(), "result": "SUCCESS"}
        if endpoint.startswith("/v1/customers"):
            return {"object": "customer", "id": customer}
        if endpoint == "/v1/exports":
            return {"object": "export", "id": "exp_" + rng.randbytes(9).hex(), "status": "SCHEDULED"}
        if endpoint == "/v1/exports/{exportId}":
            return {"object": "export", "status": "DONE"}
        if endpoint == "/v1/campaigns":
            return {"object": "list", "data_ref": "campaigns", "total": len(self.campaigns)}
        return {"object": endpoint.split("/")[2].rstrip("s"), "id": rng.randbytes(6).hex()}
