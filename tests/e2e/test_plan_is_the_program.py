"""The plan is the program: the run sends exactly the requests its dry run printed, and whatever can fail
before submitting fails at plan time, in the run and the dry run alike, on every door (CLI, `run`, library).

What the run sent is read from the sandbox's own record of the exports it was asked for (`Worker.jobs()`,
the parameters each POST carried), not from exportctl.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import exportctl
from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli
from tests.conftest import sandbox_settings

UTC = dt.timezone.utc


def _sequence(sandbox: Sandbox) -> int:
    return max((job.sequence for job in sandbox.worker.jobs()), default=-1)


def _sent_since(sandbox: Sandbox, baseline: int) -> list[dict[str, Any]]:
    """The bodies of the exports the sandbox was asked for after `baseline`, in the order they came."""
    jobs = sorted((job for job in sandbox.worker.jobs() if job.sequence > baseline), key=lambda job: job.sequence)
    return [{"exported_object": job.spec.exported_object, "parameters": job.spec.parameters} for job in jobs]


def _bodies(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"exported_object": r["body"]["exported_object"], "parameters": r["body"]["parameters"]} for r in requests]


CLI_CASES = {
    "a time window": ["--since", "2026-01-01", "--until", "2026-02-15"],
    "a split": ["--since", "2026-01-10", "--until", "2026-03-20", "--split-by", "month", "--filter", "status=PAID"],
    "a weekly split": ["--since", "2026-02-01", "--until", "2026-02-20", "--split-by", "week"],
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_the_cli_run_sends_the_requests_its_dry_run_printed(cli: Cli, sandbox: Sandbox, case: str) -> None:
    args = ["order", *CLI_CASES[case], "-o", "orders.csv"]
    dry = cli(*args, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    planned = json.loads(dry.stdout)["requests"]

    baseline = _sequence(sandbox)
    run = cli(*args, "--json")
    assert run.exit_code == 0, run.output
    assert _sent_since(sandbox, baseline) == _bodies(planned)
    windows = json.loads(run.stdout).get("windows")
    if windows is not None:  # the windows the run reports are the planned ones
        assert [(w["since"], w["until"]) for w in windows] == [(r["since"], r["until"]) for r in planned]


def test_an_incremental_split_sends_the_windows_plan_computed_from_the_watermark(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    settings = sandbox_settings(sandbox)
    state = tmp_path / "state.json"
    common: dict[str, Any] = {"since": "2026-01-01", "since_last": state}
    first = exportctl.export(
        "order", output=tmp_path / "first.csv", now=dt.datetime(2026, 2, 10, tzinfo=UTC), settings=settings, **common
    )
    assert first.to_dict()["watermark"] == "2026-02-10T00:00:00.000Z"

    now = dt.datetime(2026, 4, 3, 12, tzinfo=UTC)
    keywords: dict[str, Any] = {**common, "split_by": "month", "output": tmp_path / "next.csv", "now": now}
    planned = exportctl.plan("order", **keywords)
    assert [w["since"] for w in planned.windows if w is not None] == [
        "2026-02-10T00:00:00.000Z",
        "2026-03-01T00:00:00.000Z",
        "2026-04-01T00:00:00.000Z",
    ]
    baseline = _sequence(sandbox)
    result = exportctl.export("order", settings=settings, **keywords)
    assert _sent_since(sandbox, baseline) == _bodies(planned.to_dict()["requests"])
    assert [(w.since, w.until) for w in result.windows] == [(w["since"], w["until"]) for w in planned.windows if w]


BROKEN_STATE = {
    "not JSON": lambda path: path.write_text("not json", encoding="utf-8"),
    "a directory": lambda path: path.mkdir(),
}


@pytest.mark.parametrize("broken", list(BROKEN_STATE))
def test_a_state_file_that_cannot_be_read_fails_at_plan_time_on_every_door(
    cli: Cli, isolated: Path, broken: str
) -> None:
    """Before credentials are read: with none at all, the run says what the dry run says (exit 2, not 3)."""
    BROKEN_STATE[broken](isolated / "state.json")
    args = ["order", "--since-last", "state.json", "-o", "{id}.csv"]

    dry = cli(*args, "--dry-run", credentials=False)
    run = cli(*args, credentials=False)
    assert dry.exit_code == run.exit_code == 2, run.output
    assert "state file" in dry.stderr and run.stderr == dry.stderr

    (isolated / "nightly.yaml").write_text(
        "exports:\n  - name: orders\n    object: order\n    incremental: {state: state.json}\n    output: '{id}.csv'\n",
        encoding="utf-8",
    )
    from_file = cli("run", "nightly.yaml", credentials=False)
    assert from_file.exit_code == 2, from_file.output
    assert "state file" in from_file.stderr

    with pytest.raises(exportctl.UsageError, match="state file"):
        exportctl.export("order", since_last="state.json", output="{id}.csv")  # no settings: none are read


@pytest.mark.parametrize("place", ["a file", "a symbolic link"])
def test_a_split_whose_parts_place_is_taken_fails_at_plan_time(cli: Cli, isolated: Path, place: str) -> None:
    """`TARGET.parts` must be a directory of the split's: the dry run says so too, and the run before credentials."""
    parts = isolated / "v.csv.parts"
    if place == "a file":
        parts.write_text("not a directory", encoding="utf-8")
    else:
        (isolated / "elsewhere").mkdir()
        parts.symlink_to(isolated / "elsewhere")
    args = ["voucher", "--split-by", "month", "--since", "2024-01-01", "--until", "2024-03-01", "-o", "v.csv"]

    dry = cli(*args, "--dry-run", credentials=False)
    run = cli(*args, credentials=False)
    assert dry.exit_code == run.exit_code == 2, run.output
    assert "v.csv.parts exists and is not a directory" in " ".join(dry.stderr.split())
    assert run.stderr == dry.stderr
