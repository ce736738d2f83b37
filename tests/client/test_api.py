"""ApiClient over HTTP against the sandbox: retries, the POST rule, rate limits, and typed errors."""

from __future__ import annotations

import random
import re
import socket
import time
from typing import Any

import pytest

from exportctl import schema
from exportctl.client.api import ApiClient
from exportctl.client.retry import MAX_ATTEMPTS, RateBudget
from exportctl.errors import ApiError, AuthError, ExitCode, NetworkError, NotFoundError
from exportctl.events import HttpExchange, Retrying
from exportctl.request.model import ExportRequest
from exportctl.sandbox import Sandbox, Timing
from exportctl.settings import Settings
from tests.client.exports import done_export_url
from tests.conftest import Recorder, start_sandbox

VOUCHERS = ExportRequest(schema.BY_COMMAND["voucher"], fields=("code", "value"))


def settings_for(sandbox: Sandbox, **changes: str) -> Settings:
    values: dict[str, Any] = {"base_url": sandbox.base_url, "app_id": sandbox.app_id, "app_token": sandbox.secret_key}
    values.update(changes)
    return Settings(profile=None, source="test settings", **values)


def make_client(sandbox: Sandbox, recorder: Recorder, **kwargs: Any) -> ApiClient:
    settings = kwargs.pop("settings", None) or settings_for(sandbox)
    return ApiClient(settings, on_event=recorder, sleep=recorder.sleep, rng=random.Random(7), **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_get_is_retried_through_a_burst_of_5xx(sandbox: Sandbox) -> None:
    recorder = Recorder()
    with make_client(sandbox, recorder) as client:
        created = client.create_export(VOUCHERS.endpoint(), VOUCHERS.body())
        sandbox.faults.fail_next(3, status=502, path_prefix="/v1/exports/")
        calls_before = client.calls
        export = client.get_export(created["id"])
    assert export["id"] == created["id"]
    assert client.calls - calls_before == 4
    retries = recorder.of(Retrying)
    assert [r.attempt for r in retries] == [1, 2, 3]
    assert all(r.reason.startswith("502") for r in retries)
    # Full jitter: each delay within its exponential bound.
    assert [d <= bound for d, bound in zip(recorder.delays, (0.5, 1.0, 2.0), strict=True)] == [True] * 3


def test_retry_after_is_honoured(sandbox: Sandbox) -> None:
    recorder = Recorder()
    with make_client(sandbox, recorder) as client:
        sandbox.faults.rate_limit_burst(1, retry_after=3)
        client.list_exports(limit=1)
    assert len(recorder.delays) == 1
    assert 3.0 <= recorder.delays[0] <= 3.25
    assert "429" in recorder.of(Retrying)[0].reason


def test_get_gives_up_after_max_attempts(sandbox: Sandbox) -> None:
    recorder = Recorder()
    with make_client(sandbox, recorder) as client:
        sandbox.faults.fail_next(50, status=500)
        with pytest.raises(NetworkError) as caught:
            client.list_exports()
    assert caught.value.exit_code == ExitCode.NETWORK
    assert client.calls == MAX_ATTEMPTS
    assert f"after {MAX_ATTEMPTS} attempt(s)" in str(caught.value)
    assert "internal_server_error: Internal Server Error (Injected by the sandbox) [v-" in str(caught.value)


def test_total_retry_delay_is_bounded(sandbox: Sandbox) -> None:
    recorder = Recorder()
    with make_client(sandbox, recorder, max_retry_delay=2.5) as client:
        sandbox.faults.rate_limit_burst(10, retry_after=2)
        with pytest.raises(NetworkError, match="rate limit was reached"):
            client.list_exports()
    assert recorder.delays and sum(recorder.delays) <= 2.5
    assert client.calls == 2


def count_exports(client: ApiClient) -> int:
    return int(client.list_exports(limit=1)["total"])


@pytest.mark.parametrize("status", [500, 502, 504])
def test_post_is_not_retried_when_the_server_may_have_acted(sandbox: Sandbox, status: int) -> None:
    recorder = Recorder()
    with make_client(sandbox, recorder) as client:
        sandbox.faults.fail_next(1, status=status, path_prefix="/v1/exports")
        with pytest.raises(NetworkError) as caught:
            client.create_export(VOUCHERS.endpoint(), VOUCHERS.body())
        assert client.calls == 1
    assert recorder.of(Retrying) == []
    assert caught.value.hint is not None and "exportctl list" in caught.value.hint


@pytest.mark.parametrize("fault", ["503", "429"])
def test_post_is_retried_when_the_server_surely_did_not_act(sandbox: Sandbox, fault: str) -> None:
    recorder = Recorder()
    with make_client(sandbox, recorder) as client:
        before = count_exports(client)
        if fault == "503":
            sandbox.faults.fail_next(2, status=503, path_prefix="/v1/exports")
        else:
            sandbox.faults.rate_limit_burst(2, retry_after=1)
        export = client.create_export(VOUCHERS.endpoint(), VOUCHERS.body())
        assert export["status"] == "SCHEDULED"
        assert len(recorder.of(Retrying)) == 2
        # Exactly one export came of three POSTs.
        assert count_exports(client) == before + 1


def test_post_is_retried_when_the_connection_is_refused() -> None:
    recorder = Recorder()
    settings = Settings(f"http://127.0.0.1:{free_port()}", "id", "secret-key", None, "test")
    with ApiClient(settings, on_event=recorder, sleep=recorder.sleep) as client, pytest.raises(NetworkError) as caught:
        client.create_export(VOUCHERS.endpoint(), VOUCHERS.body())
    assert client.calls == MAX_ATTEMPTS
    assert "connection refused" in str(caught.value)
    assert all(e.status is None for e in recorder.of(HttpExchange))


def test_post_is_not_retried_after_a_read_timeout(sandbox: Sandbox) -> None:
    recorder = Recorder()
    with make_client(sandbox, recorder, timeout=(2.0, 0.3)) as client:
        sandbox.faults.slow(1.0, n=1, path_prefix="/v1/exports")
        with pytest.raises(NetworkError, match="read timeout") as caught:
            client.create_export(VOUCHERS.endpoint(), VOUCHERS.body())
        assert client.calls == 1
    assert caught.value.hint is not None and "exportctl list" in caught.value.hint


def test_get_is_retried_after_a_read_timeout(sandbox: Sandbox) -> None:
    recorder = Recorder()
    with make_client(sandbox, recorder, timeout=(2.0, 0.3)) as client:
        sandbox.faults.slow(1.0, n=1)
        client.list_exports(limit=1)
        assert client.calls == 2
    assert "read timeout" in recorder.of(Retrying)[0].reason


def test_wrong_secret_is_an_auth_error(sandbox: Sandbox) -> None:
    recorder = Recorder()
    settings = settings_for(sandbox, app_token="not-the-right-secret")
    with make_client(sandbox, recorder, settings=settings) as client, pytest.raises(AuthError) as caught:
        client.list_exports()
    assert caught.value.exit_code == ExitCode.AUTH
    assert "unauthorized: Unauthorized" in str(caught.value)
    assert caught.value.hint is not None and "test settings" in caught.value.hint
    assert "not-the-right-secret" not in str(caught.value)
    assert client.calls == 1


def test_unknown_export_is_not_found(sandbox: Sandbox) -> None:
    with make_client(sandbox, Recorder()) as client, pytest.raises(NotFoundError) as caught:
        client.get_export("exp_doesnotexist")
    assert caught.value.status == 404
    assert caught.value.exit_code == ExitCode.API_REJECTED
    assert re.fullmatch(r"not_found: .+ \(.+\) \[v-[0-9a-f]+\]", str(caught.value)), str(caught.value)


def test_rejected_request_is_rendered_key_message_details_request_id(sandbox: Sandbox) -> None:
    with make_client(sandbox, Recorder()) as client, pytest.raises(ApiError) as caught:
        client.create_export("/v1/exports", {"exported_object": "voucher", "parameters": {"fields": ["nope"]}})
    error = caught.value
    assert (error.status, error.key) == (400, "invalid_export_fields")
    assert error.request_id is not None and error.request_id.startswith("v-")
    assert error.details is not None
    assert re.fullmatch(r"invalid_export_fields: .+ \(.+\) \[v-[0-9a-f]+\]", str(error)), str(error)
    assert f"({error.details}) [{error.request_id}]" in str(error)
    assert error.exit_code == ExitCode.API_REJECTED


def test_list_and_delete(sandbox: Sandbox) -> None:
    with make_client(sandbox, Recorder()) as client:
        created = client.create_export(VOUCHERS.endpoint(), VOUCHERS.body())
        listing = client.list_exports(limit=100, order="-created_at")
        assert listing["object"] == "list"
        assert created["id"] in [e["id"] for e in listing["exports"]]
        client.delete_export(created["id"])
        with pytest.raises(NotFoundError):
            client.get_export(created["id"])
        with pytest.raises(NotFoundError):
            client.delete_export(created["id"])


def test_events_mask_the_download_token(sandbox: Sandbox) -> None:
    recorder = Recorder()
    with make_client(sandbox, recorder) as client:
        url = done_export_url(client, VOUCHERS)
        token = url.split("token=")[1]
        with client.open_download(url) as download:
            body = b"".join(download.iter_bytes(1024))
    assert download.status == 200 and download.total_size == len(body)
    shown = [e.url for e in recorder.of(HttpExchange)]
    assert any(u.endswith("?token=***") for u in shown)
    assert not any(token in u for u in shown)


def test_rate_limit_is_tracked_and_shared() -> None:
    with start_sandbox(seed=3, scale=0.005, rate_limit="5/h", timing=Timing(0.01, 0.01, 0.0)) as limited:
        budget = RateBudget()
        first, second = Recorder(), Recorder()
        with (
            make_client(limited, first, budget=budget) as a,
            make_client(limited, second, budget=budget) as b,
        ):
            a.list_exports(limit=1)
            assert a.rate_limit.limit == 5 and a.rate_limit.remaining == 4
            assert b.rate_limit == a.rate_limit  # one budget, seen by both
            for _ in range(4):
                b.list_exports(limit=1)
            assert b.rate_limit.remaining == 0
            assert b.rate_limit.retry_at is not None and b.rate_limit.retry_at > time.time() + 3000
            # The window resets in about an hour: far beyond what a retry waits, so it fails at once, saying when.
            with pytest.raises(NetworkError, match=r"rate limit was reached.*next call in \d+ s"):
                a.list_exports(limit=1)
            assert first.delays == []


def test_spent_budget_waits_for_the_refill_before_sending(sandbox: Sandbox) -> None:
    recorder = Recorder()
    budget = RateBudget()
    now = time.time()
    budget.observe({"X-Rate-Limit-Limit": "100", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Retry": str(now + 4)})
    with make_client(sandbox, recorder, budget=budget, wallclock=lambda: now) as client:
        client.list_exports(limit=1)
    assert recorder.delays == [pytest.approx(4.0)]
    assert "refill" in recorder.of(Retrying)[0].reason


def test_budget_counts_calls_and_refills_one_caller_at_a_time() -> None:
    """Of two callers that see the last call left, one takes it and the other waits for the refill."""
    budget = RateBudget()
    now = time.time()
    budget.observe({"X-Rate-Limit-Limit": "3", "X-Rate-Limit-Remaining": "1", "X-Rate-Limit-Retry": str(now + 5)})
    assert budget.take(now) == 0
    assert budget.take(now) == pytest.approx(5.0)
    # Once the window has passed, callers count down from the full limit until an answer says more.
    assert [budget.take(now + 6) for _ in range(3)] == [0, 0, 0]
    assert budget.take(now + 6) == 0  # no known end of the new window: nothing to wait for
    # The first answers of the new window are to calls sent before the others: they cannot give calls back.
    budget.observe({"X-Rate-Limit-Limit": "3", "X-Rate-Limit-Remaining": "2", "X-Rate-Limit-Retry": str(now + 7)})
    assert budget.current.remaining == 0
    # Within a window whose end is known, the API's word stands (a 429 of another limit may have said 0).
    budget.observe({"X-Rate-Limit-Limit": "3", "X-Rate-Limit-Remaining": "1", "X-Rate-Limit-Retry": str(now + 7)})
    assert budget.current.remaining == 1
