"""Every wait of the poller says why: the schedule, or the API's rate limit with its reset time."""

from __future__ import annotations

import random

import pytest

from exportctl.client.api import ApiClient
from exportctl.client.retry import RateLimit
from exportctl.errors import NetworkError
from exportctl.events import Polled
from exportctl.jobs.poll import poll_until_done, wait_reason
from exportctl.jobs.schedule import Window
from exportctl.settings import Settings
from tests.conftest import Recorder, start_sandbox

NOW = 1_900_000_000.0


def test_a_wait_stretched_by_a_low_budget_names_the_calls_left_and_the_refill() -> None:
    why = wait_reason(5.0, 40.0, RateLimit(limit=100, remaining=3, retry_at=NOW + 600), NOW, None)
    assert why.startswith("the API's rate limit: 3 of 100 calls left, refilled at ")
    assert why.endswith("UTC; checks are spaced out to keep some")


def test_a_spent_budget_names_when_the_next_call_is_allowed() -> None:
    why = wait_reason(5.0, 90.0, RateLimit(limit=100, remaining=0, retry_at=NOW + 90), NOW, None)
    assert why.startswith("the API's rate limit is spent; it allows the next call at ") and why.endswith("UTC")


def test_an_ordinary_wait_is_the_schedule_and_names_earlier_runs_when_it_aims_at_them() -> None:
    plenty = RateLimit(limit=100, remaining=90)
    assert wait_reason(8.0, 8.0, plenty, NOW, None) == "the schedule: checks slow down as the export takes longer"
    assert "earlier runs like this one were done after 40-55s" in wait_reason(8.0, 8.0, plenty, NOW, Window(40, 55))


@pytest.mark.default_polling
def test_polls_under_the_sandboxs_rate_limit_say_it_is_the_rate_limit() -> None:
    recorder = Recorder()
    with start_sandbox(scale=0.005, rate_limit="6/h") as limited:
        limited.faults.hold_in_progress(60)
        settings = Settings(base_url=limited.base_url, app_id=limited.app_id, app_token=limited.secret_key)
        with ApiClient(settings, on_event=recorder, sleep=recorder.sleep, rng=random.Random(1)) as client:
            created = client.create_export("/v1/exports", {"exported_object": "voucher"})
            with pytest.raises(NetworkError, match="rate limit is spent"):
                poll_until_done(
                    client, created["id"], timeout=None, on_event=recorder, sleep=recorder.sleep, first=created
                )
    polled = recorder.of(Polled)
    assert polled, recorder.events
    assert all("the API's rate limit: " in p.why and " of 6 calls left" in p.why for p in polled), polled
    assert all(p.next_poll_in > 5 for p in polled)
