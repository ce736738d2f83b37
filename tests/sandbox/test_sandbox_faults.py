"""Every fault the sandbox can inject, and the rate limit, seen from a real HTTP client."""

from __future__ import annotations

import http.client
import random
import shutil
import time
from urllib.parse import urlsplit

import pytest
import requests

from exportctl.sandbox import Sandbox, Timing
from exportctl.sandbox.server import parse_rate_limit

from .http_api import Api


def raw_download(url: str, headers: dict[str, str]) -> tuple[int, int, bytes, bool]:
    """(status, Content-Length, body bytes received, whether the body ended early)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}", headers=headers)
        response = conn.getresponse()
        length = int(response.headers["Content-Length"])
        try:
            return response.status, length, response.read(), False
        except http.client.IncompleteRead as short:
            return response.status, length, short.partial, True
    finally:
        conn.close()


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_fail_next_answers_the_next_requests_with_the_status(api: Api, sandbox: Sandbox, status: int) -> None:
    sandbox.faults.fail_next(2, status=status)
    first, second = api.get("/v1/exports"), api.get("/v1/exports")
    for response in (first, second):
        assert response.status_code == status
        assert response.json()["code"] == status
        assert "X-Rate-Limit-Remaining" in response.headers
    if status == 429:
        assert first.headers["Retry-After"] == "1"
        assert first.headers["X-Rate-Limit-Type"] == "api_calls"
    assert api.get("/v1/exports").status_code == 200


def test_fail_next_only_on_matching_paths(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.fail_next(1, status=502, path_prefix="/v1/orders")
    assert api.get("/v1/exports").status_code == 200
    assert api.post("/v1/orders/export").status_code == 502
    assert api.post("/v1/orders/export").status_code == 200


def test_fail_fraction_is_repeatable_with_a_seed(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.fail_fraction(0.4, status=500, seed=7)
    statuses = [api.get("/v1/exports").status_code for _ in range(30)]
    draws = random.Random(7)
    assert statuses == [500 if draws.random() < 0.4 else 200 for _ in range(30)]
    assert 500 in statuses and 200 in statuses
    sandbox.faults.reset()
    assert all(api.get("/v1/exports").status_code == 200 for _ in range(5))


def test_rate_limit_burst(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.rate_limit_burst(2, retry_after=3)
    for _ in range(2):
        response = api.get("/v1/exports")
        api.error(response, 429, "too_many_requests")
        assert response.headers["Retry-After"] == "3"
        assert response.headers["X-Rate-Limit-Type"] == "api_calls"
        assert response.headers["X-Rate-Limit-Remaining"] == "0"
    assert api.get("/v1/exports").status_code == 200


def test_slow_delays_the_next_responses(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.slow(0.3, n=1)
    started = time.monotonic()
    assert api.get("/v1/exports").status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    api.get("/v1/exports")
    assert time.monotonic() - started < 0.3


def test_slow_until_reset_on_a_path(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.slow(0.2, path_prefix="/v1/exports/")
    for _ in range(2):
        started = time.monotonic()
        api.get("/v1/exports/exp_x")
        assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    api.get("/v1/exports")
    assert time.monotonic() - started < 0.2


def test_drop_download_after_closes_mid_body_then_range_resumes(api: Api, sandbox: Sandbox) -> None:
    done = api.wait(api.create("voucher", {"fields": ["id", "code", "metadata"]})["id"])
    url = done["result"]["url"]
    whole = api.session.get(url, timeout=10).content
    sandbox.faults.drop_download_after(100)
    status, length, body, cut = raw_download(url, sandbox.headers)
    assert (status, length, len(body), cut) == (200, len(whole), 100, True)
    assert body == whole[:100]
    rest = api.session.get(url, headers={"Range": "bytes=100-"}, timeout=10)
    assert rest.status_code == 206
    assert body + rest.content == whole


def test_a_dropped_download_is_an_error_for_requests(api: Api, sandbox: Sandbox) -> None:
    done = api.wait(api.create("order")["id"])
    sandbox.faults.drop_download_after(10)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api.session.get(done["result"]["url"], timeout=10)
    assert api.session.get(done["result"]["url"], timeout=10).status_code == 200


def test_short_body_sends_fewer_bytes_than_announced(api: Api, sandbox: Sandbox) -> None:
    done = api.wait(api.create("customer")["id"])
    sandbox.faults.short_body(7)
    status, length, body, cut = raw_download(done["result"]["url"], sandbox.headers)
    assert cut and status == 200
    assert len(body) == length - 7
    status, length, body, cut = raw_download(done["result"]["url"], sandbox.headers)
    assert not cut and len(body) == length


def test_fail_next_job_ends_the_export_in_error(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.fail_next_job("disk on fire")
    failed = api.wait(api.create("voucher")["id"])
    assert failed["status"] == "ERROR"
    assert failed["result"] is None
    assert failed["error"]["message"] == "disk on fire"
    assert not (sandbox.data_dir / f"{failed['id']}.csv").exists()
    assert api.wait(api.create("voucher")["id"])["status"] == "DONE"


def test_hold_in_progress_keeps_the_export_running(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.hold_in_progress(0.6)
    export = api.create("order")
    started = time.monotonic()
    time.sleep(0.2)
    assert api.get(f"/v1/exports/{export['id']}").json()["status"] == "IN_PROGRESS"
    assert api.wait(export["id"])["status"] == "DONE"
    assert time.monotonic() - started >= 0.6


def test_reset_switches_everything_off(api: Api, sandbox: Sandbox) -> None:
    faults = sandbox.faults
    faults.fail_next(5)
    faults.fail_fraction(1.0)
    faults.rate_limit_burst(5)
    faults.slow(1.0)
    faults.drop_download_after(1)
    faults.short_body(1)
    faults.fail_next_job()
    faults.hold_in_progress(5)
    faults.reset()
    started = time.monotonic()
    done = api.wait(api.create("order")["id"])
    assert done["status"] == "DONE"
    assert api.session.get(done["result"]["url"], timeout=10).status_code == 200
    assert time.monotonic() - started < 1.0


def test_a_failing_generation_marks_the_export_error_and_the_server_lives_on(tmp_path) -> None:
    with Sandbox(scale=0.01, timing=Timing(0.0, 0.0, 0.0), data_dir=tmp_path / "exports") as own:
        client = Api(own)
        shutil.rmtree(own.data_dir)
        own.data_dir.write_text("not a directory")  # the worker cannot write its file now
        failed = client.wait(client.create("voucher")["id"])
        assert failed["status"] == "ERROR"
        assert failed["error"]["message"]
        own.data_dir.unlink()
        assert client.wait(client.create("voucher")["id"])["status"] == "DONE"


def test_configured_rate_limit_answers_429_once_spent() -> None:
    with Sandbox(scale=0.01, rate_limit="3/h") as limited:
        client = Api(limited)
        remaining = []
        for _ in range(3):
            response = client.get("/v1/exports")
            assert response.status_code == 200
            assert response.headers["X-Rate-Limit-Limit"] == "3"
            remaining.append(response.headers["X-Rate-Limit-Remaining"])
        assert remaining == ["2", "1", "0"]
        over = client.get("/v1/exports")
        client.error(over, 429, "too_many_requests")
        assert over.headers["X-Rate-Limit-Type"] == "api_calls"
        assert 3500 <= int(over.headers["Retry-After"]) <= 3600
        assert int(over.headers["X-Rate-Limit-Retry"]) >= time.time() + 3500


def test_rate_limit_window_resets() -> None:
    with Sandbox(scale=0.01, rate_limit=(1, 0.4)) as limited:
        client = Api(limited)
        assert client.get("/v1/exports").status_code == 200
        assert client.get("/v1/exports").status_code == 429
        time.sleep(0.5)
        assert client.get("/v1/exports").status_code == 200


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("100/h", (100, 3600.0)), ("100/min", (100, 60.0)), ("10/30s", (10, 30.0)), ("5/day", (5, 86400.0))],
)
def test_parse_rate_limit(text: str, parsed: tuple[int, float]) -> None:
    assert parse_rate_limit(text) == parsed


@pytest.mark.parametrize("text", ["", "100", "0/h", "ten/h", "100/fortnight"])
def test_parse_rate_limit_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        parse_rate_limit(text)


def test_reset_next_closes_the_connection_without_an_answer(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.reset_next(1, path_prefix="/v1/exports")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(api.url("/v1/exports"), headers=sandbox.headers, timeout=10)
    assert api.get("/v1/exports").status_code == 200


def test_fail_next_download_spares_the_export_object(api: Api, sandbox: Sandbox) -> None:
    done = api.wait(api.create("order")["id"])
    sandbox.faults.fail_next_download(1, status=502)
    assert api.get(f"/v1/exports/{done['id']}").status_code == 200
    assert api.session.get(done["result"]["url"], timeout=10).status_code == 502
    assert api.session.get(done["result"]["url"], timeout=10).status_code == 200


def test_refuse_download_token_rotates_the_token(api: Api, sandbox: Sandbox) -> None:
    done = api.wait(api.create("order")["id"])
    old_url = done["result"]["url"]
    sandbox.faults.refuse_download_token()
    assert api.session.get(old_url, timeout=10).status_code == 401
    assert api.session.get(old_url, timeout=10).status_code == 401
    new_url = api.get(f"/v1/exports/{done['id']}").json()["result"]["url"]
    assert new_url != old_url
    assert api.session.get(new_url, timeout=10).status_code == 200


def test_ignore_range_sends_the_whole_file(api: Api, sandbox: Sandbox) -> None:
    done = api.wait(api.create("order")["id"])
    whole = api.session.get(done["result"]["url"], timeout=10).content
    sandbox.faults.ignore_range()
    ignored = api.session.get(done["result"]["url"], headers={"Range": "bytes=10-"}, timeout=10)
    assert (ignored.status_code, ignored.content) == (200, whole)
    honoured = api.session.get(done["result"]["url"], headers={"Range": "bytes=10-"}, timeout=10)
    assert (honoured.status_code, honoured.content) == (206, whole[10:])


def test_stall_download_after_pauses_mid_body(api: Api, sandbox: Sandbox) -> None:
    done = api.wait(api.create("voucher", {"fields": ["id", "code", "metadata"]})["id"])
    whole = api.session.get(done["result"]["url"], timeout=10).content
    sandbox.faults.stall_download_after(100, 0.5)
    started = time.monotonic()
    with api.session.get(done["result"]["url"], stream=True, timeout=10) as response:
        first = response.raw.read(100)
        head_seconds = time.monotonic() - started
        rest = response.raw.read()
    assert head_seconds < 0.4 <= time.monotonic() - started
    assert first + rest == whole


def test_wrong_cluster_answers_the_documented_body_after_authentication(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.wrong_cluster("https://us1.api.voucherify.io", n=2)
    stranger = requests.get(api.url("/v1/exports"), headers={"X-App-Id": "x", "X-App-Token": "y"}, timeout=10)
    assert stranger.status_code == 401, "unknown credentials name no project, so no cluster either"
    answer = api.get("/v1/exports")
    assert answer.status_code == 403
    body = answer.json()
    assert (body["code"], body["key"], body["message"]) == (403, "wrong_api_endpoint", "Wrong API endpoint")
    assert body["details"] == (
        "Given project is bound to different API endpoint, you should use: https://us1.api.voucherify.io"
    )
    assert api.post("/v1/exports", {"exported_object": "voucher"}).status_code == 403
    assert api.get("/v1/exports").status_code == 200, "n=2 answers were used up"


def test_quota_exceeded_answers_402_on_matching_paths(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.quota_exceeded(path_prefix="/v1/exports/")
    assert api.get("/v1/exports").status_code == 200
    answer = api.get("/v1/exports/exp_nope")
    assert answer.status_code == 402
    assert answer.json()["key"] == "payment_required"
    assert "Retry-After" not in answer.headers, "no reset announced unless asked for"
    sandbox.faults.reset()
    assert api.get("/v1/exports/exp_nope").status_code == 404


def test_cycle_limit_says_its_type_and_when_it_resets(api: Api, sandbox: Sandbox) -> None:
    resets_at = int(time.time()) + 10 * 86_400
    sandbox.faults.cycle_limit(n=1, resets_at=resets_at)
    answer = api.get("/v1/exports")
    assert answer.status_code == 429
    assert answer.headers["X-Rate-Limit-Type"] == "api_calls_cycle"
    assert answer.headers["X-Rate-Limit-Remaining"] == "0"
    assert answer.headers["X-Rate-Limit-Retry"] == str(resets_at)
    assert 9 * 86_400 < int(answer.headers["Retry-After"]) <= 10 * 86_400
    assert api.get("/v1/exports").status_code == 200


def test_cycle_limit_resets_at_the_start_of_next_month_by_default(api: Api, sandbox: Sandbox) -> None:
    from datetime import datetime, timezone

    sandbox.faults.cycle_limit(n=1)
    answer = api.get("/v1/exports")
    reset = datetime.fromtimestamp(int(answer.headers["X-Rate-Limit-Retry"]), timezone.utc)
    assert (reset.day, reset.hour, reset.minute, reset.second) == (1, 0, 0, 0)
    assert reset.timestamp() > time.time()


def test_wait_idle_waits_for_a_post_its_client_gave_up_on(sandbox: Sandbox) -> None:
    """A client that times out on a slow POST /v1/exports moves on, but the sandbox still creates the export:
    `wait_idle` returns once it has, so a test that counts exports next does not see it appear later."""

    def count() -> int:
        answer = requests.get(
            f"{sandbox.base_url}/v1/exports", params={"limit": 1}, headers=sandbox.headers, timeout=10
        )
        return int(answer.json()["total"])

    before = count()
    sandbox.faults.slow(1.0, n=1, path_prefix="/v1/exports")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            f"{sandbox.base_url}/v1/exports",
            json={"exported_object": "voucher", "parameters": {"fields": ["code"]}},
            headers=sandbox.headers,
            timeout=0.2,
        )
    assert sandbox.wait_idle(10.0)
    assert count() == before + 1
