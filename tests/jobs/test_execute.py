"""jobs/execute.py runs a plan as it was made: the plan's requests, and for an incremental run the plan's
watermark (another run that moved it in between makes this one stop, exit 8, with nothing submitted)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import exportctl
from exportctl.client.api import ApiClient
from exportctl.errors import ExitCode, LockedError
from exportctl.jobs.execute import execute
from exportctl.sandbox import Sandbox
from tests.conftest import sandbox_settings

UTC = dt.timezone.utc


def test_a_watermark_moved_after_planning_stops_the_run_before_it_submits(
    sandbox: Sandbox, client: ApiClient, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    keywords: dict[str, Any] = {"since": "2026-01-01", "since_last": state, "output": tmp_path / "{id}.csv"}
    planned = exportctl.plan("order", now=dt.datetime(2026, 3, 1, tzinfo=UTC), **keywords)
    # Another run of the same export, between this one's plan and its run.
    exportctl.export("order", now=dt.datetime(2026, 2, 1, tzinfo=UTC), settings=sandbox_settings(sandbox), **keywords)
    moved = json.loads(state.read_text(encoding="utf-8"))
    exports = len(sandbox.worker.jobs())

    with pytest.raises(LockedError) as raised:
        execute(client, planned.plan)

    assert raised.value.exit_code == ExitCode.LOCKED
    assert "2026-02-01T00:00:00.000Z" in raised.value.message and "nothing was submitted" in raised.value.message
    assert len(sandbox.worker.jobs()) == exports  # nothing submitted
    assert json.loads(state.read_text(encoding="utf-8")) == moved  # the other run's watermark stays


def test_the_plan_is_a_value_its_requests_do_not_follow_the_state_file(
    sandbox: Sandbox, client: ApiClient, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    keywords: dict[str, Any] = {"since": "2026-01-01", "since_last": state, "output": tmp_path / "{id}.csv"}
    planned = exportctl.plan("order", now=dt.datetime(2026, 3, 1, tzinfo=UTC), **keywords)
    before = planned.to_dict()

    outcome = execute(client, planned.plan)

    assert outcome.extra["watermark"] == "2026-03-01T00:00:00.000Z"
    assert planned.to_dict() == before  # read again after the run moved the watermark: the same requests
    (request,) = before["requests"]
    assert (request["since"], request["until"]) == ("2026-01-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z")
