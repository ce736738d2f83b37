"""Submit, poll and download against the sandbox: adaptive polling, failures, and byte-exact, resumable files."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import itertools
import random
import time
from pathlib import Path
from typing import Any

import pytest

from exportctl import schema
from exportctl.client.api import ApiClient
from exportctl.client.retry import RateLimit
from exportctl.errors import (
    DownloadError,
    ExitCode,
    ExportFailedError,
    InterruptedByUser,
    NotFoundError,
    UsageError,
    WaitTimeoutError,
)
from exportctl.events import (
    DownloadProgress,
    DownloadStarted,
    Event,
    HttpExchange,
    Polled,
    Retrying,
    Saved,
    StatusChanged,
    Submitted,
)
from exportctl.files.atomic import part_path
from exportctl.files.poll_history import PollHistory, history_key
from exportctl.jobs.download import download_export
from exportctl.jobs.poll import (
    POLL_CAP,
    POLL_INITIAL,
    POLL_SLOW_CAP,
    RATE_STRETCH_UNIT,
    poll_until_done,
    rate_limited_delay,
)
from exportctl.jobs.schedule import Window, simulate
from exportctl.jobs.single import run_export, submit
from exportctl.request.model import ExportRequest
from exportctl.sandbox import Sandbox
from exportctl.settings import Settings
from tests.conftest import Recorder

# Days of the week hold commas, so this CSV has quoted values: a real test of the row count. qr_code keeps
# the file above the 6,000 bytes the dropped-connection tests cut it at (metadata expands into short cells).
VOUCHERS = ExportRequest(
    schema.BY_COMMAND["voucher"], fields=("code", "value", "metadata", "qr_code", "validity_day_of_week")
)
SMALL_CHUNK = 4096


class VirtualClock:
    """Time that passes only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.delays: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds
        time.sleep(0.002)


@pytest.fixture
def client(sandbox: Sandbox, recorder: Recorder) -> Any:
    settings = Settings(sandbox.base_url, sandbox.app_id, sandbox.secret_key, None, "test")
    with ApiClient(settings, on_event=recorder, sleep=recorder.sleep, rng=random.Random(1)) as api:
        yield api


def sandbox_file(sandbox: Sandbox, export_id: str) -> bytes:
    (path,) = sandbox.data_dir.glob(f"{export_id}*")
    return path.read_bytes()


def done_export(client: ApiClient, recorder: Recorder) -> dict[str, Any]:
    export = submit(client, VOUCHERS, recorder)
    return poll_until_done(client, export["id"], timeout=30, on_event=recorder, sleep=recorder.sleep)


def csv_rows(data: bytes) -> int:
    return len(list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))) - 1


# Polling ----------------------------------------------------------------------------------------------


def test_run_export_saves_the_csv_byte_for_byte(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    outcome = run_export(
        client, VOUCHERS, lambda export_id: tmp_path / f"{export_id}.csv", on_event=recorder, sleep=recorder.sleep
    )
    assert outcome.status == "DONE"
    assert outcome.download is not None
    target = tmp_path / f"{outcome.export_id}.csv"
    expected = sandbox_file(sandbox, outcome.export_id)
    assert target.read_bytes() == expected
    assert outcome.download.sha256 == hashlib.sha256(expected).hexdigest()
    assert outcome.download.bytes == len(expected)
    assert outcome.download.rows == csv_rows(expected) > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no .part left behind
    kinds = [type(e) for e in recorder.events if not isinstance(e, (DownloadProgress, Polled, HttpExchange))]
    assert kinds[0] is Submitted and kinds[-1] is Saved
    assert [e.status for e in recorder.of(StatusChanged)][-1] == "DONE"
    summary = outcome.summary()
    assert summary["output"] == str(target) and summary["api_calls"] == outcome.calls == client.calls


def shown_in_progress(sandbox: Sandbox, export_id: str) -> None:
    """Wait (uncounted, outside the client) until the sandbox shows the export IN_PROGRESS."""
    import requests

    for _ in range(2000):
        answer = requests.get(f"{sandbox.base_url}/v1/exports/{export_id}", headers=sandbox.headers, timeout=10)
        if answer.json()["status"] == "IN_PROGRESS":
            return
        time.sleep(0.005)
    raise AssertionError(f"{export_id} never went IN_PROGRESS")


def scheduled_delays(until: float, expected: Window | None = None) -> list[float]:
    """The sleeps the schedule asks for up to `until` (a deadline) for an export IN_PROGRESS from the first GET."""
    ages = [0.0] + [age for age in simulate(until + 1, in_progress_at=0.5, expected=expected).polls if age < until]
    return [*(after - before for before, after in itertools.pairwise(ages)), until - ages[-1]]


def test_polling_follows_the_schedule_to_the_cap(sandbox: Sandbox, client: ApiClient, recorder: Recorder) -> None:
    # Held IN_PROGRESS far beyond the virtual two minutes, so every answer after the submit's is IN_PROGRESS.
    sandbox.faults.hold_in_progress(60)
    clock = VirtualClock()
    export = submit(client, VOUCHERS, recorder)
    shown_in_progress(sandbox, export["id"])
    with pytest.raises(WaitTimeoutError):
        poll_until_done(
            client, export["id"], timeout=120, on_event=recorder, sleep=clock.sleep, clock=clock, first=export
        )
    # The submit's answer is the first look: no GET before the first second. Then once a second while the
    # export is young, then ~3 s apart, backing off up to the cap (issue 22); the last poll on the deadline.
    assert clock.delays == pytest.approx(scheduled_delays(120))
    assert clock.delays[:4] == [POLL_INITIAL] * 4
    assert max(clock.delays) == POLL_CAP
    assert client.calls == 1 + len(clock.delays)
    changes = [(e.previous, e.status) for e in recorder.of(StatusChanged)]
    assert changes == [(None, "SCHEDULED"), ("SCHEDULED", "IN_PROGRESS")]


def test_polling_aims_at_the_window_of_earlier_runs(sandbox: Sandbox, client: ApiClient, recorder: Recorder) -> None:
    sandbox.faults.hold_in_progress(60)
    clock = VirtualClock()
    export = submit(client, VOUCHERS, recorder)
    history = PollHistory(None)
    key = history_key(client.base_url, export)
    assert key is not None
    history.note(key, 30.0, 42.0)
    shown_in_progress(sandbox, export["id"])
    with pytest.raises(WaitTimeoutError):
        poll_until_done(client, export["id"], timeout=60, sleep=clock.sleep, clock=clock, first=export, history=history)
    ages = [sum(clock.delays[: i + 1]) for i in range(len(clock.delays))]
    assert clock.delays == pytest.approx(scheduled_delays(60, Window(30.0, 42.0)))
    # Doubling up to the window (straight to its first point from 16 s), six evenly spaced polls in it (the last
    # on its end), then late: 1 s again.
    assert ages[:12] == pytest.approx([1, 2, 4, 8, 16, 32, 34, 36, 38, 40, 42, 43])


def test_a_finished_run_leaves_its_window_for_the_next(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    clock = VirtualClock()
    history = PollHistory(tmp_path / "state" / "poll-history.json")
    outcome = run_export(client, VOUCHERS, tmp_path / "v.csv", sleep=clock.sleep, clock=clock, history=history)
    assert outcome.status == "DONE"
    key = history_key(client.base_url, outcome.export)
    assert key is not None
    (run,) = PollHistory(history.path).runs(key)
    # DONE after the last answer that was not DONE and by the GET that saw it, in (virtual) seconds after the submit.
    assert run.hi == pytest.approx(clock.now, abs=1e-3)  # kept to the millisecond
    assert run.lo == pytest.approx(clock.now - clock.delays[-1], abs=1e-3)
    assert len(clock.delays) == outcome.calls - 2  # one sleep before each GET: the submit's answer was the first look
    assert history.pending == {}


def test_waiting_for_an_existing_export_ages_it_from_its_created_at(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder
) -> None:
    from datetime import datetime

    sandbox.faults.hold_in_progress(0.2)
    export = submit(client, VOUCHERS, recorder)
    created = datetime.fromisoformat(export["created_at"].replace("Z", "+00:00")).timestamp()
    clock = VirtualClock()
    history = PollHistory(None)
    # As `exportctl wait ID` does, 100 s after the export was created (by the API's clock).
    poll_until_done(
        client,
        export["id"],
        timeout=None,
        sleep=clock.sleep,
        clock=clock,
        wallclock=lambda: created + 100 + clock.now,
        submitted=False,
        history=history,
    )
    ((run,),) = history.pending.values()
    assert run.hi == pytest.approx(100 + clock.now, abs=1e-3)
    assert run.lo == pytest.approx(100 + clock.now - clock.delays[-1], abs=1e-3)


def test_the_settings_poll_interval_is_the_first_wait_and_where_polling_starts_over(
    sandbox: Sandbox, recorder: Recorder, tmp_path: Path
) -> None:
    """Settings.poll_interval (EXPORTCTL_POLL_INTERVAL) replaces POLL_INITIAL: the first wait, the pace of the
    first polls and the shortest wait; the schedule is otherwise the same."""
    sandbox.faults.hold_in_progress(60)
    settings = Settings(sandbox.base_url, sandbox.app_id, sandbox.secret_key, None, "test", poll_interval=0.25)
    clock = VirtualClock()
    with (
        ApiClient(settings, on_event=recorder, sleep=recorder.sleep, rng=random.Random(1)) as client,
        pytest.raises(WaitTimeoutError),
    ):
        run_export(client, VOUCHERS, tmp_path / "v.csv", timeout=120, sleep=clock.sleep, clock=clock)
    # Young (the first four polls' worth of time) at 0.25 s, then the growth up to the cap.
    assert clock.delays[:4] == [0.25] * 4 != [POLL_INITIAL] * 4
    assert min(clock.delays) == 0.25 and max(clock.delays) == POLL_CAP


def test_export_in_error(sandbox: Sandbox, client: ApiClient, recorder: Recorder) -> None:
    sandbox.faults.fail_next_job("the warehouse is on fire")
    export = submit(client, VOUCHERS, recorder)
    with pytest.raises(ExportFailedError) as caught:
        poll_until_done(client, export["id"], timeout=30, on_event=recorder, sleep=recorder.sleep)
    assert caught.value.exit_code == ExitCode.EXPORT_FAILED
    assert "the warehouse is on fire" in str(caught.value)


def test_timeout_names_the_resume_command(sandbox: Sandbox, client: ApiClient, recorder: Recorder) -> None:
    sandbox.faults.hold_in_progress(30)
    clock = VirtualClock()
    export = submit(client, VOUCHERS, recorder)
    shown_in_progress(sandbox, export["id"])
    with pytest.raises(WaitTimeoutError) as caught:
        poll_until_done(
            client, export["id"], timeout=40, on_event=recorder, sleep=clock.sleep, clock=clock, first=export
        )
    assert caught.value.exit_code == ExitCode.TIMEOUT
    assert caught.value.hint is not None and f"exportctl wait {export['id']}" in caught.value.hint
    # The last poll lands exactly on the deadline, never past it.
    assert clock.now == pytest.approx(40)
    # The schedule's polls (issue 22: ~3 s apart for the first half minute), then the one on the deadline;
    # a fixed 1 s poll would have made 40 calls.
    assert clock.delays == pytest.approx(scheduled_delays(40))
    assert len(clock.delays) == 17


def test_export_deleted_while_waiting(client: ApiClient, recorder: Recorder) -> None:
    export = submit(client, VOUCHERS, recorder)
    client.delete_export(export["id"])
    with pytest.raises(NotFoundError, match="no longer exists"):
        poll_until_done(client, export["id"], timeout=30, on_event=recorder, sleep=recorder.sleep)


def test_ctrl_c_while_waiting(sandbox: Sandbox, client: ApiClient, recorder: Recorder) -> None:
    sandbox.faults.hold_in_progress(5)
    export = submit(client, VOUCHERS, recorder)

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(InterruptedByUser) as caught:
        poll_until_done(client, export["id"], timeout=None, on_event=recorder, sleep=interrupt)
    assert caught.value.exit_code == ExitCode.INTERRUPTED
    assert caught.value.hint == f"exportctl wait {export['id']}"


def test_no_wait_returns_the_scheduled_export(client: ApiClient, recorder: Recorder, tmp_path: Path) -> None:
    outcome = run_export(client, VOUCHERS, tmp_path / "x.csv", wait=False, on_event=recorder)
    assert outcome.status == "SCHEDULED" and outcome.download is None
    assert outcome.calls == 1
    assert not (tmp_path / "x.csv").exists()


def test_rate_limit_slows_polling() -> None:
    now = 1_000_000.0
    assert rate_limited_delay(1.0, RateLimit(), now) == 1.0
    assert rate_limited_delay(1.0, RateLimit(limit=100, remaining=50), now) == 1.0
    # Below 10 remaining, the interval grows as the budget shrinks.
    assert rate_limited_delay(1.0, RateLimit(limit=100, remaining=5), now) == pytest.approx(RATE_STRETCH_UNIT * 2)
    assert rate_limited_delay(1.0, RateLimit(limit=100, remaining=1), now) == POLL_SLOW_CAP
    # With a large limit the low-water mark is a share of it.
    assert rate_limited_delay(1.0, RateLimit(limit=1000, remaining=50), now) == pytest.approx(RATE_STRETCH_UNIT * 2)
    # Nothing left: wait for the announced refill, or the slow cap when none was announced.
    assert rate_limited_delay(1.0, RateLimit(limit=100, remaining=0, retry_at=now + 300), now) == 300
    assert rate_limited_delay(1.0, RateLimit(limit=100, remaining=0), now) == POLL_SLOW_CAP


# Downloading ------------------------------------------------------------------------------------------


def test_gz_target(sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path) -> None:
    export = done_export(client, recorder)
    target = tmp_path / "vouchers.csv.gz"
    result = download_export(client, export, target, on_event=recorder)
    expected = sandbox_file(sandbox, export["id"])
    assert gzip.decompress(target.read_bytes()) == expected
    # Digest and size describe the CSV as received, not the compressed file.
    assert result.sha256 == hashlib.sha256(expected).hexdigest()
    assert result.bytes == len(expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vouchers.csv.gz"]


def test_stdout_target(sandbox: Sandbox, client: ApiClient, recorder: Recorder) -> None:
    export = done_export(client, recorder)
    stream = io.BytesIO()
    result = download_export(client, export, "-", on_event=recorder, stdout=stream)
    assert stream.getvalue() == sandbox_file(sandbox, export["id"])
    assert result.target == "-"


def test_existing_target_is_refused_by_the_plan_before_any_call(
    client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    from exportctl.jobs.plan import plan
    from exportctl.request.model import RunOptions

    target = tmp_path / "x.csv"
    target.write_bytes(b"precious")
    calls = client.calls
    with pytest.raises(UsageError, match="already exists"):
        plan(VOUCHERS, RunOptions(output=str(target)))
    assert client.calls == calls
    assert target.read_bytes() == b"precious"


def test_a_target_the_plan_checked_is_not_checked_again_the_commit_keeps_what_appeared(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    """One check per target, at plan time: a file that appears after it is found by the commit's no-clobber
    link, which leaves it untouched and keeps the downloaded data in TARGET.part."""
    target = tmp_path / "x.csv"
    target.write_bytes(b"appeared after the plan")
    with pytest.raises(UsageError, match="appeared while downloading") as caught:
        run_export(client, VOUCHERS, target, on_event=recorder)
    assert target.read_bytes() == b"appeared after the plan"
    assert caught.value.export_id is not None
    assert part_path(target).read_bytes() == sandbox_file(sandbox, caught.value.export_id)


def test_short_body_keeps_the_part_and_the_next_download_resumes_it(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    export = done_export(client, recorder)
    expected = sandbox_file(sandbox, export["id"])
    target = tmp_path / "x.csv"
    target.write_bytes(b"precious")
    sandbox.faults.short_body(1000)
    with pytest.raises(DownloadError) as caught:
        download_export(client, export, target, on_event=recorder, force=True, max_attempts=1, chunk_size=SMALL_CHUNK)
    assert caught.value.exit_code == ExitCode.NETWORK
    assert caught.value.hint is not None and f"exportctl download {export['id']}" in caught.value.hint
    assert target.read_bytes() == b"precious"
    kept = part_path(target).read_bytes()
    assert kept == expected[: len(expected) - 1000]

    recorder.events.clear()
    result = download_export(client, export, target, on_event=recorder, force=True, chunk_size=SMALL_CHUNK)
    assert target.read_bytes() == expected
    assert result.resumed_from == len(kept)
    assert recorder.of(DownloadStarted)[0].resumed_from == len(kept)
    # The digest covers the whole file, the reused part included.
    assert result.sha256 == hashlib.sha256(expected).hexdigest()
    assert result.rows == csv_rows(expected)
    assert not part_path(target).exists()


def test_dropped_connection_is_continued_within_the_run(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    export = done_export(client, recorder)
    sandbox.faults.drop_download_after(5000)
    target = tmp_path / "x.csv"
    result = download_export(client, export, target, on_event=recorder, chunk_size=SMALL_CHUNK)
    assert target.read_bytes() == sandbox_file(sandbox, export["id"])
    assert len(recorder.of(Retrying)) == 1
    assert len(recorder.of(DownloadStarted)) == 1
    assert result.sha256 == hashlib.sha256(target.read_bytes()).hexdigest()


def test_connection_dropped_every_time_leaves_no_target(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    export = done_export(client, recorder)
    expected = sandbox_file(sandbox, export["id"])
    sandbox.faults.drop_download_after(3000, times=2)
    sandbox.faults.drop_download_after(0, times=None)  # then no attempt brings a new byte
    target = tmp_path / "x.csv"
    with pytest.raises(DownloadError, match="kept in"):
        download_export(client, export, target, on_event=recorder, attempts=2, chunk_size=SMALL_CHUNK)
    assert not target.exists()
    assert len(recorder.of(Retrying)) == 3  # two breaks after progress cost nothing; two without it end the run
    # Each attempt continued where the previous one stopped.
    assert part_path(target).read_bytes() == expected[:6000]
    sandbox.faults.reset()
    result = download_export(client, export, target, on_event=recorder)
    assert result.resumed_from == 6000
    assert target.read_bytes() == expected


def test_breaks_that_each_bring_bytes_do_not_use_up_the_attempts(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    export = done_export(client, recorder)
    expected = sandbox_file(sandbox, export["id"])
    assert len(expected) > 6 * 2000
    sandbox.faults.drop_download_after(2000, times=5)
    target = tmp_path / "x.csv"
    result = download_export(client, export, target, on_event=recorder, attempts=2, chunk_size=SMALL_CHUNK)
    assert len(recorder.of(Retrying)) == 5
    assert target.read_bytes() == expected
    assert result.sha256 == hashlib.sha256(expected).hexdigest()


def test_a_server_dripping_bytes_is_given_up_after_the_most_attempts_of_a_run(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    export = done_export(client, recorder)
    expected = sandbox_file(sandbox, export["id"])
    sandbox.faults.drop_download_after(100, times=None)  # every attempt brings 100 bytes more, and no more
    target = tmp_path / "x.csv"
    with pytest.raises(DownloadError, match="Gave up after 4 attempts"):
        download_export(client, export, target, on_event=recorder, max_attempts=4, chunk_size=SMALL_CHUNK)
    assert not target.exists()
    assert part_path(target).read_bytes() == expected[:400]


def test_part_of_another_export_is_not_resumed(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    first, second = done_export(client, recorder), done_export(client, recorder)
    target = tmp_path / "daily.csv"
    sandbox.faults.short_body(100)
    with pytest.raises(DownloadError):
        download_export(client, first, target, on_event=recorder, max_attempts=1)
    result = download_export(client, second, target, on_event=recorder)
    assert result.resumed_from == 0
    assert target.read_bytes() == sandbox_file(sandbox, second["id"])


def test_refused_download_token_fetches_a_fresh_url_once(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    export = done_export(client, recorder)
    stale = {**export, "result": {"url": export["result"]["url"].split("token=")[0] + "token=expired"}}
    target = tmp_path / "x.csv"
    download_export(client, stale, target, on_event=recorder)
    assert target.read_bytes() == sandbox_file(sandbox, export["id"])


def test_ctrl_c_while_downloading_keeps_the_part(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    export = done_export(client, recorder)
    target = tmp_path / "x.csv"

    def interrupt_midway(event: Event) -> None:
        if isinstance(event, DownloadProgress) and event.bytes_done >= 2 * SMALL_CHUNK:
            raise KeyboardInterrupt

    with pytest.raises(InterruptedByUser) as caught:
        download_export(client, export, target, on_event=interrupt_midway, chunk_size=SMALL_CHUNK)
    assert caught.value.hint == f"exportctl download {export['id']} -o {target}"  # continues into the same file
    assert not target.exists()
    kept, expected = part_path(target).read_bytes(), sandbox_file(sandbox, export["id"])
    assert 2 * SMALL_CHUNK <= len(kept) < len(expected)
    assert kept == expected[: len(kept)]


def test_download_of_an_unfinished_export_is_refused(client: ApiClient, recorder: Recorder, tmp_path: Path) -> None:
    export = submit(client, VOUCHERS, recorder)
    with pytest.raises(UsageError, match="not DONE"):
        download_export(client, export, tmp_path / "x.csv")
