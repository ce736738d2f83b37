"""exportctl.wait, download, list_exports and run against the sandbox over HTTP: what they return equals the
CLI's `--json` for the same work, their errors are the CLI's and carry the export id, nothing is printed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import exportctl
from exportctl.events import Event, StatusChanged
from exportctl.sandbox import Sandbox
from tests.cli.conftest import ENV_NAMES, Cli
from tests.conftest import sandbox_settings

# What two runs of the same work may not share: how long each took, and how many polls that took (a loaded
# machine finds the sandbox job DONE one poll later).
VARYING = ("seconds", "api_calls")


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An empty working directory, and no credentials from the machine running the tests."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    directory = tmp_path / "work"
    directory.mkdir()
    monkeypatch.chdir(directory)
    yield directory


@pytest.fixture
def settings(sandbox: Sandbox) -> exportctl.Settings:
    return sandbox_settings(sandbox)


def _cli_json(sandbox: Sandbox, *args: str) -> dict[str, Any]:
    result = Cli(sandbox)(*args, "--json")
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _without(document: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key not in keys}


def _created(settings: exportctl.Settings) -> str:
    return exportctl.export("customer", wait=False, settings=settings).export_ids[0]


def test_wait_returns_the_done_export_as_the_cli_prints_it(
    sandbox: Sandbox, settings: exportctl.Settings, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export_id = _created(settings)
    seen: list[Event] = []

    done = exportctl.wait(export_id, timeout="1m", settings=settings, on_event=seen.append)

    assert done.status == "DONE" and done.export["id"] == export_id and done.exported_object == "customer"
    assert any(isinstance(event, StatusChanged) and event.status == "DONE" for event in seen)
    assert capsys.readouterr() == ("", "")  # nothing printed
    printed = _cli_json(sandbox, "wait", export_id)
    assert list(done.to_dict()) == list(printed)
    # The export object's download URL carries a fresh token on every answer; the rest is the same.
    mine, theirs = (_without(d, *VARYING, "api_calls", "export") for d in (done.to_dict(), printed))
    assert mine == theirs
    assert _without(done.to_dict()["export"], "result") == _without(printed["export"], "result")
    assert json.loads(done.to_json()) == done.to_dict()


def test_download_saves_the_file_and_returns_what_download_json_prints(
    sandbox: Sandbox, settings: exportctl.Settings, work: Path
) -> None:
    export_id = _created(settings)
    exportctl.wait(export_id, settings=settings)

    saved = exportctl.download(export_id, "mine.csv", settings=settings)

    path = work / "mine.csv"
    assert saved.output == Path("mine.csv") and saved.export_ids == (export_id,)
    assert saved.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and saved.bytes == path.stat().st_size
    assert saved.rows == len(path.read_text(encoding="utf-8").splitlines()) - 1
    printed = _cli_json(sandbox, "download", export_id, "-o", "mine.csv", "--force")
    assert list(saved.to_dict()) == list(printed)
    assert _without(saved.to_dict(), *VARYING) == _without(printed, *VARYING)


def test_download_refuses_an_existing_file_and_an_export_not_done_naming_the_export(
    sandbox: Sandbox, settings: exportctl.Settings, work: Path
) -> None:
    export_id = _created(settings)
    exportctl.wait(export_id, settings=settings)
    (work / "taken.csv").write_text("mine\n", encoding="utf-8")
    with pytest.raises(exportctl.UsageError) as caught:
        exportctl.download(export_id, "taken.csv", settings=settings)
    assert caught.value.export_id == export_id
    assert (work / "taken.csv").read_text(encoding="utf-8") == "mine\n"

    sandbox.faults.hold_in_progress(30)
    running = _created(settings)
    with pytest.raises(exportctl.UsageError) as not_done:
        exportctl.download(running, settings=settings)
    assert not_done.value.export_id == running and "not DONE" in not_done.value.message
    assert not list(work.glob(f"*{running}*"))


def test_a_timeout_an_export_in_error_and_an_unknown_id_carry_the_export_id(
    sandbox: Sandbox, settings: exportctl.Settings, work: Path
) -> None:
    sandbox.faults.hold_in_progress(30)
    running = _created(settings)
    with pytest.raises(exportctl.WaitTimeoutError) as timed_out:
        exportctl.wait(running, timeout=0.3, settings=settings)
    assert timed_out.value.export_id == running
    assert timed_out.value.exit_code == exportctl.ExitCode.TIMEOUT

    sandbox.faults.fail_next_job()
    with pytest.raises(exportctl.ExportFailedError) as failed:
        exportctl.export("customer", output="c.csv", settings=settings)
    failed_id = failed.value.export_id
    assert failed_id is not None and failed_id.startswith("exp_") and failed_id in failed.value.message
    assert not (work / "c.csv").exists()

    with pytest.raises(exportctl.NotFoundError) as missing:
        exportctl.wait("exp_nosuchexport", settings=settings)
    assert missing.value.export_id == "exp_nosuchexport"


def test_export_timeout_names_the_export_that_keeps_running(
    sandbox: Sandbox, settings: exportctl.Settings, work: Path
) -> None:
    sandbox.faults.hold_in_progress(30)
    with pytest.raises(exportctl.WaitTimeoutError) as caught:
        exportctl.export("customer", output="c.csv", timeout=0.3, settings=settings)
    export_id = caught.value.export_id
    assert export_id is not None and caught.value.hint is not None and export_id in caught.value.hint


def test_list_exports_returns_what_list_json_prints(sandbox: Sandbox, settings: exportctl.Settings, work: Path) -> None:
    export_id = _created(settings)
    exportctl.wait(export_id, settings=settings)

    listed = exportctl.list_exports(limit=5, statuses="DONE", objects=["customer"], settings=settings)

    assert listed.exports and all(e["status"] == "DONE" and e["exported_object"] == "customer" for e in listed.exports)
    printed = _cli_json(sandbox, "list", "--limit", "5", "--status", "DONE", "--object", "customer")
    assert list(listed.to_dict()) == list(printed)
    assert _without(listed.to_dict(), *VARYING, "exports") == _without(printed, *VARYING, "exports")
    # The download URLs carry a fresh token on every answer; the rest of each export is the same.
    assert [_without(e, "result") for e in listed.to_dict()["exports"]] == [
        _without(e, "result") for e in printed["exports"]
    ]


@pytest.mark.parametrize(
    ("keywords", "named"),
    [
        ({"limit": 0}, "limit must be from 1 to 100"),
        ({"limit": "5"}, "limit: got str"),
        ({"page": 2, "all_pages": True}, "page picks one page of the list, and all_pages"),
        ({"order": "newest"}, "Unknown order 'newest'"),
        ({"statuses": "FINISHED"}, "FINISHED"),
        ({"since": 5}, "since: got int"),
    ],
)
def test_list_exports_refuses_a_bad_keyword_before_reading_settings(keywords: dict[str, Any], named: str) -> None:
    with pytest.raises(exportctl.UsageError) as caught:
        exportctl.list_exports(**keywords)  # no credentials anywhere: the keyword is what fails
    assert named in caught.value.message


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: exportctl.wait(5), "export_id: got int"),  # type: ignore[arg-type]
        (lambda: exportctl.wait("exp_1", timeout=-1), "timeout"),
        (lambda: exportctl.download("", settings=None), "export_id"),
        (lambda: exportctl.run("x.yaml", parallel=0), "parallel"),
        (lambda: exportctl.run("x.yaml", only=5), "only: got int"),  # type: ignore[arg-type]
        (lambda: exportctl.wait("exp_1", settings="s"), "settings: got str"),  # type: ignore[arg-type]
    ],
)
def test_every_door_checks_its_keywords(call: Any, named: str, work: Path) -> None:
    with pytest.raises(exportctl.UsageError) as caught:
        call()
    assert named in caught.value.message


def test_the_session_reads_exportctl_read_timeout_for_every_new_door(
    settings: exportctl.Settings, monkeypatch: pytest.MonkeyPatch, work: Path
) -> None:
    monkeypatch.setenv("EXPORTCTL_READ_TIMEOUT", "soon")
    for call in (
        lambda: exportctl.wait("exp_1", settings=settings),
        lambda: exportctl.download("exp_1", settings=settings),
        lambda: exportctl.list_exports(settings=settings),
    ):
        with pytest.raises(exportctl.UsageError, match="EXPORTCTL_READ_TIMEOUT"):
            call()


RUN_FILE = """\
defaults:
  output: "{name}.csv"
exports:
  - name: paid-orders
    object: order
    parameters:
      fields: [id, status, amount]
      filters: ["status=PAID"]
  - name: customers
    object: customer
    parameters: {fields: [id, email]}
"""


def _entries_without_ids(document: dict[str, Any]) -> list[dict[str, Any]]:
    # api_calls too: how many polls an export took depends on how busy the machine is.
    return [_without(entry, "export_id", "api_calls", *VARYING) for entry in document["exports"]]


def test_run_returns_what_run_json_prints(
    sandbox: Sandbox, settings: exportctl.Settings, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (work / "nightly.yaml").write_text(RUN_FILE, encoding="utf-8")
    seen: list[Event] = []

    done = exportctl.run("nightly.yaml", parallel=2, settings=settings, on_event=seen.append)

    assert done.ok and [entry.result for entry in done.exports] == ["done", "done"]
    assert [entry.export.output for entry in done.exports if entry.export] == [
        Path("paid-orders.csv"),
        Path("customers.csv"),
    ]
    assert all(entry.export_id and entry.export_id.startswith("exp_") for entry in done.exports)
    assert sum(isinstance(event, StatusChanged) and event.status == "DONE" for event in seen) == 2
    assert capsys.readouterr() == ("", "")
    printed = _cli_json(sandbox, "run", "nightly.yaml", "--force")
    assert list(done.to_dict()) == list(printed)
    assert list(done.to_dict()["exports"][0]) == list(printed["exports"][0])
    assert _without(done.to_dict(), *VARYING, "exports", "api_calls") == _without(
        printed, *VARYING, "exports", "api_calls"
    )
    assert _entries_without_ids(done.to_dict()) == _entries_without_ids(printed)
    assert done.to_dict()["api_calls"] == sum(entry.export.api_calls for entry in done.exports if entry.export)


def test_run_refuses_the_whole_file_when_one_target_exists_and_submits_nothing(
    sandbox: Sandbox, settings: exportctl.Settings, work: Path
) -> None:
    (work / "nightly.yaml").write_text(RUN_FILE, encoding="utf-8")
    (work / "customers.csv").write_text("mine\n", encoding="utf-8")
    before = Cli(sandbox).export_count()

    with pytest.raises(exportctl.ConfigProblemsError) as caught:
        exportctl.run("nightly.yaml", settings=settings)

    assert caught.value.exit_code == exportctl.ExitCode.USAGE
    assert "customers" in caught.value.message and "already exists" in caught.value.message
    assert caught.value.hint is not None and "--force" in caught.value.hint
    assert Cli(sandbox).export_count() == before
    printed = _cli_json(sandbox, "run", "nightly.yaml")
    assert (printed["error"], printed["hint"]) == (caught.value.message, caught.value.hint)


def test_a_failed_export_of_a_run_is_in_the_result_with_its_id_not_raised(
    sandbox: Sandbox, settings: exportctl.Settings, work: Path
) -> None:
    (work / "nightly.yaml").write_text(RUN_FILE, encoding="utf-8")
    sandbox.faults.fail_next_job()

    done = exportctl.run("nightly.yaml", settings=settings)

    first, second = done.exports
    assert (first.result, first.exit_code) == ("failed", exportctl.ExitCode.EXPORT_FAILED)
    assert first.export_id is not None and first.export_id in (first.error or "")
    assert second.result == "skipped"  # no keep_going: nothing starts after a failure
    assert done.exit_code == exportctl.ExitCode.EXPORT_FAILED and not done.ok
    assert done.to_dict()["error"] == "1 of 2 exports failed: paid-orders."


def test_run_of_a_file_with_problems_raises_every_problem(settings: exportctl.Settings, work: Path) -> None:
    (work / "bad.yaml").write_text(RUN_FILE.replace("[id, email]", "[id, emial]"), encoding="utf-8")
    with pytest.raises(exportctl.ConfigProblemsError) as caught:
        exportctl.run("bad.yaml", settings=settings)
    assert caught.value.problems and "emial" in caught.value.problems[0][1]
    assert caught.value.hint == "Check the file with: exportctl validate bad.yaml"


def _readme_block(number: int) -> str:
    import re

    readme = Path(__file__).resolve().parent.parent / "README.md"
    section = readme.read_text(encoding="utf-8").split("## From Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    return str(blocks[number])


def test_the_readme_snippet_of_wait_download_list_and_run_runs_as_written(
    sandbox: Sandbox, work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VOUCHERIFY_APP_ID", sandbox.app_id)
    monkeypatch.setenv("VOUCHERIFY_APP_TOKEN", sandbox.secret_key)
    monkeypatch.setenv("VOUCHERIFY_API_BASE_URL", sandbox.base_url)
    (work / "nightly.yaml").write_text(RUN_FILE, encoding="utf-8")
    namespace: dict[str, Any] = {}

    exec(compile(_readme_block(1), "README.md:From Python (wait, download, run)", "exec"), namespace)

    saved, run = namespace["saved"], namespace["run"]
    assert saved.output == Path("paid-orders.csv") and saved.export_ids == (namespace["export_id"],)
    assert run.ok and [entry.result for entry in run.exports] == ["done", "done"]
    assert (work / "customers.csv").is_file()
    printed = capsys.readouterr().out.splitlines()
    assert json.loads(printed[-1].split(" ", 1)[1]) == run.to_dict()


def test_a_download_that_keeps_failing_names_its_export(
    sandbox: Sandbox, settings: exportctl.Settings, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("exportctl.client.api.BACKOFF_BASE", 0.01)
    monkeypatch.setattr("exportctl.jobs.download.DOWNLOAD_RETRY_BASE", 0.02)
    export_id = _created(settings)
    exportctl.wait(export_id, settings=settings)
    sandbox.faults.fail_next_download(100)

    with pytest.raises(exportctl.NetworkError) as caught:
        exportctl.download(export_id, "d.csv", settings=settings)

    assert caught.value.export_id == export_id
    assert caught.value.exit_code == exportctl.ExitCode.NETWORK
    assert not (work / "d.csv").exists()

    sandbox.faults.fail_next_download(100)
    with pytest.raises(exportctl.NetworkError) as during_export:
        exportctl.export("customer", output="e.csv", settings=settings)
    failed_id = during_export.value.export_id
    assert failed_id is not None and failed_id.startswith("exp_") and failed_id != export_id
    assert during_export.value.hint is not None and failed_id in during_export.value.hint
