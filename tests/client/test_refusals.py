"""Answers that waiting does not change, against the sandbox's injections: another cluster's credentials
(403 `wrong_api_endpoint`) and spent quotas (402, 429 `api_calls_cycle`). Neither is retried or waited out."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from exportctl import schema
from exportctl.client.api import ApiClient
from exportctl.client.refusals import is_wrong_cluster, named_base_url, quota_limit, reset_time
from exportctl.client.retry import utc_clock
from exportctl.errors import ExitCode, QuotaError, WrongClusterError
from exportctl.events import Retrying
from exportctl.request.model import ExportRequest
from exportctl.sandbox import Sandbox
from exportctl.sandbox.faults import next_month
from exportctl.settings import Settings
from tests.conftest import Recorder

VOUCHERS = ExportRequest(schema.BY_COMMAND["voucher"], fields=("code",))
US1 = "https://us1.api.voucherify.io"


def make_client(sandbox: Sandbox, recorder: Recorder, profile: str | None = None) -> ApiClient:
    settings = Settings(base_url=sandbox.base_url, app_id=sandbox.app_id, app_token=sandbox.secret_key, profile=profile)
    return ApiClient(settings, on_event=recorder, sleep=recorder.sleep, rng=random.Random(3))


def _done_export(client: ApiClient) -> dict[str, Any]:
    created = client.create_export(VOUCHERS.endpoint(), VOUCHERS.body())
    for _ in range(400):
        export = client.get_export(created["id"])
        if export["status"] == "DONE":
            return export
        time.sleep(0.05)
    raise AssertionError("the sandbox's export did not finish")


def _download(client: ApiClient, export: dict[str, Any]) -> None:
    with client.open_download(export["result"]["url"]) as body:
        next(iter(body.iter_bytes()), None)


# Every kind of call the client makes: the refusal must read the same on each.
CALLS: dict[str, Callable[[ApiClient, dict[str, Any]], object]] = {
    "create": lambda client, export: client.create_export(VOUCHERS.endpoint(), VOUCHERS.body()),
    "get": lambda client, export: client.get_export(export["id"]),
    "list": lambda client, export: client.list_exports(limit=1),
    "delete": lambda client, export: client.delete_export(export["id"]),
    "download": _download,
}


@pytest.mark.parametrize("call", list(CALLS))
def test_wrong_cluster_on_any_call_names_the_projects_url_and_the_fix(sandbox: Sandbox, call: str) -> None:
    recorder = Recorder()
    with make_client(sandbox, recorder) as client:
        export = _done_export(client)
        # Every request until the fixture's reset (not n=1): a request of another thread still winding down
        # in this worker's shared sandbox must not take the one refusal meant for this call.
        sandbox.faults.wrong_cluster(US1)
        calls = client.calls
        with pytest.raises(WrongClusterError) as caught:
            CALLS[call](client, export)
    error = caught.value
    assert error.exit_code == ExitCode.AUTH
    assert client.calls - calls == 1, "a wrong cluster is not retried"
    assert recorder.of(Retrying) == []
    assert f"the project is bound to {US1}" in error.message
    assert sandbox.base_url in error.message
    assert error.hint is not None
    assert "--region us1" in error.hint and "exportctl login --region us1" in error.hint
    assert error.right_url == US1


def test_wrong_cluster_of_a_dedicated_cluster_says_api_url_and_the_profile(sandbox: Sandbox) -> None:
    sandbox.faults.wrong_cluster("https://acme.dedicated-voucherify.example.com/")
    with make_client(sandbox, Recorder(), profile="production") as client, pytest.raises(WrongClusterError) as caught:
        client.list_exports()
    hint = caught.value.hint or ""
    assert "--api-url https://acme.dedicated-voucherify.example.com" in hint
    assert "exportctl login --profile production --api-url https://acme.dedicated-voucherify.example.com" in hint


@pytest.mark.parametrize(
    "url",
    [
        "http://us1.api.voucherify.io",  # not https
        "https://evil.example.com/login",  # a path: a page, not a base URL
        "https://user:pass@evil.example.com",
        "https://evil.example.com:8443",
        "https://127.0.0.1",
        "https://evil.example.com?next=x",
        "https://ev\x1b[31mil.example.com",
        "https://[/]x[bold].example.com",
        "https://évil.example.com",
        "javascript:alert(1)",
        "",
    ],
)
def test_wrong_cluster_never_shows_an_implausible_url(sandbox: Sandbox, url: str) -> None:
    sandbox.faults.wrong_cluster(url)  # until the fixture's reset, not n=1 (see the test above)
    with make_client(sandbox, Recorder()) as client, pytest.raises(WrongClusterError) as caught:
        client.list_exports()
    error = caught.value
    assert error.right_url is None
    shown = error.message + (error.hint or "")
    for planted in ("evil", "\x1b", "javascript", "https://127.0.0.1", "[bold]"):
        assert planted not in shown
    assert "--region eu|us1|as1" in (error.hint or "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Given project is bound to different API endpoint, you should use: https://us1.api.voucherify.io", US1),
        ("you should use: https://AS1.api.voucherify.io/.", "https://as1.api.voucherify.io"),
        ("use https://xn--bcher-kva.example.com", "https://xn--bcher-kva.example.com"),
        ("use https://-bad.example.com", None),
        ("use https://a..example.com", None),
        ("use https://example.c0m", None),
        ("use https://" + "a" * 64 + ".example.com", None),
        ("use https://api.voucherify.io#frag", None),
        ("no url at all", None),
        (None, None),
    ],
)
def test_named_base_url(text: str | None, expected: str | None) -> None:
    assert named_base_url(text) == expected


@pytest.mark.parametrize(
    ("status", "key", "message", "expected"),
    [
        (403, "wrong_api_endpoint", "Wrong API endpoint", True),
        (403, "WRONG_API_ENDPOINT", None, True),
        (401, "wrong_api_endpoint", None, True),
        (403, None, "Wrong API endpoint", True),
        (403, "forbidden", "Transactions are allowed only for loyalty or gift campaigns", False),
        (400, "wrong_api_endpoint", None, False),
        (401, "unauthorized", "Unauthorized", False),
    ],
)
def test_is_wrong_cluster(status: int, key: str | None, message: str | None, expected: bool) -> None:
    assert is_wrong_cluster(status, key, message) is expected


@pytest.mark.parametrize("call", ["create", "get", "list", "download"])
def test_plan_limit_fails_at_once(sandbox: Sandbox, call: str) -> None:
    recorder = Recorder()
    with make_client(sandbox, recorder) as client:
        export = _done_export(client)
        sandbox.faults.quota_exceeded(n=1)
        calls = client.calls
        with pytest.raises(QuotaError) as caught:
            CALLS[call](client, export)
    error = caught.value
    assert error.exit_code == ExitCode.API_REJECTED
    assert client.calls - calls == 1 and recorder.delays == [], "a 402 is neither retried nor waited out"
    assert "pricing plan's limit is exceeded (402 Payment Required)" in error.message
    # Every answer carries X-Rate-Limit-Retry for the rate window: it is not the plan's reset.
    assert "did not say when it resets" in error.message
    assert error.limit == "plan" and error.resets_at is None


@pytest.mark.parametrize("call", ["create", "get", "list", "delete"])
def test_cycle_limit_fails_at_once_and_says_when_it_resets(sandbox: Sandbox, call: str) -> None:
    recorder = Recorder()
    resets_at = float(int(time.time()) + 3 * 86_400)
    with make_client(sandbox, recorder) as client:
        export = _done_export(client)
        sandbox.faults.cycle_limit(n=1, resets_at=resets_at)
        calls = client.calls
        with pytest.raises(QuotaError) as caught:
            CALLS[call](client, export)
    error = caught.value
    assert error.exit_code == ExitCode.API_REJECTED
    assert client.calls - calls == 1 and recorder.delays == [], "a cycle limit is neither retried nor waited out"
    assert "API-calls limit for this billing cycle is spent (429, api_calls_cycle)" in error.message
    assert f"It resets at {utc_clock(resets_at)}." in error.message
    assert error.resets_at == resets_at


def test_a_plan_limit_with_retry_after_says_when(sandbox: Sandbox) -> None:
    resets_at = time.time() + 7200
    sandbox.faults.quota_exceeded(n=1, resets_at=resets_at)
    with make_client(sandbox, Recorder()) as client, pytest.raises(QuotaError) as caught:
        client.list_exports()
    assert caught.value.resets_at is not None
    assert abs(caught.value.resets_at - resets_at) < 5
    assert "It resets at" in caught.value.message


def test_other_429s_are_still_waited_out(sandbox: Sandbox) -> None:
    recorder = Recorder()
    sandbox.faults.rate_limit_burst(1, retry_after=1)
    with make_client(sandbox, recorder) as client:
        client.list_exports(limit=1)
    assert len(recorder.delays) == 1


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (402, {}, "plan"),
        (429, {"X-Rate-Limit-Type": "api_calls_cycle"}, "api_calls_cycle"),
        (429, {"X-Rate-Limit-Type": " API_CALLS_CYCLE "}, "api_calls_cycle"),
        (429, {"X-Rate-Limit-Type": "api_calls"}, None),
        (429, {"X-Rate-Limit-Type": "bulk_api_calls"}, None),
        (429, {}, None),
        (403, {"X-Rate-Limit-Type": "api_calls_cycle"}, None),
    ],
)
def test_quota_limit(status: int, headers: dict[str, str], expected: str | None) -> None:
    assert quota_limit(status, headers) == expected


@pytest.mark.parametrize(
    ("limit", "headers", "expected"),
    [
        ("api_calls_cycle", {"X-Rate-Limit-Retry": "2000"}, 2000.0),
        ("api_calls_cycle", {"X-Rate-Limit-Retry": "2000000000000"}, 2000000000.0),  # milliseconds
        ("plan", {"X-Rate-Limit-Retry": "2000"}, None),  # the rate window's, not the plan's
        ("plan", {"Retry-After": "60"}, 1060.0),
        ("plan", {"Retry-After": "Thu, 01 Jan 1970 00:30:00 GMT"}, 1800.0),
        ("plan", {"Retry-After": "inf"}, None),
        ("plan", {"Retry-After": "nan"}, None),
        ("plan", {"Retry-After": "-5"}, None),
        ("api_calls_cycle", {"X-Rate-Limit-Retry": "10"}, None),  # in the past
        ("api_calls_cycle", {"Retry-After": "soon"}, None),
    ],
)
def test_reset_time(limit: str, headers: dict[str, str], expected: float | None) -> None:
    assert reset_time(limit, headers, now=1000.0) == expected


def test_the_sandbox_cycle_resets_at_the_start_of_next_month() -> None:
    december = datetime(2026, 12, 6, 4, 0, tzinfo=timezone.utc).timestamp()
    assert next_month(december) == datetime(2027, 1, 1, tzinfo=timezone.utc).timestamp()
    june = datetime(2030, 6, 30, 23, 59, tzinfo=timezone.utc).timestamp()
    assert next_month(june) == datetime(2030, 7, 1, tzinfo=timezone.utc).timestamp()
