"""End to end: `exportctl run FILE` against the sandbox over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from exportctl.errors import ExitCode
from exportctl.jobs.batch import EntryResult, worst_exit_code
from exportctl.sandbox import Sandbox, Timing
from tests.cli.conftest import Cli
from tests.conftest import start_sandbox

THREE_EXPORTS = """\
defaults:
  output: "{name}.csv"
exports:
  - name: paid-orders
    object: order
    parameters:
      fields: [id, status, amount]
      filters: ["status=PAID"]
  - name: vouchers
    object: voucher
    parameters: {fields: [code, voucher_type]}
  - name: customers
    object: customer
"""


def write(directory: Path, text: str, name: str = "exports.yaml") -> str:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def rows(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[1:]


def test_runs_every_export_in_order_and_prints_the_summary_table(cli: Cli, isolated: Path) -> None:
    result = cli("run", write(isolated, THREE_EXPORTS))

    assert result.exit_code == 0, result.output
    for name in ("paid-orders", "vouchers", "customers"):
        assert rows(isolated / f"{name}.csv"), name
        assert f"[{name}] " in result.stderr  # progress lines carry the export's name
    assert all(line.split(",")[1] == "PAID" for line in rows(isolated / "paid-orders.csv"))
    table = result.stdout
    assert table.index("paid-orders") < table.index("vouchers") < table.index("customers")
    for column in ("name", "object", "status", "rows", "bytes", "output", "seconds", "error"):
        assert column in table
    assert table.count("\tdone\t") == 3  # off a terminal: tab-separated rows


def test_json_is_one_object_with_an_object_per_export(cli: Cli, isolated: Path) -> None:
    result = cli("run", write(isolated, THREE_EXPORTS), "--json", "--parallel", "3")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["exports"]
    assert [item["name"] for item in summary] == ["paid-orders", "vouchers", "customers"]
    for item in summary:
        assert item["result"] == "done"
        assert item["exit_code"] == 0
        assert item["error"] is None
        assert item["export_id"].startswith("exp_")
        assert item["status"] == "DONE"
        assert item["rows"] == len(rows(isolated / f"{item['name']}.csv"))
        assert item["bytes"] == (isolated / f"{item['name']}.csv").stat().st_size
        assert item["output"] == f"{item['name']}.csv"
    assert [item["object"] for item in summary] == ["order", "voucher", "customer"]


def test_stops_at_the_first_failure_and_skips_the_rest(cli: Cli, isolated: Path) -> None:
    before = cli.export_count()
    cli.sandbox.faults.fail_next_job("Disk on fire")

    result = cli("run", write(isolated, THREE_EXPORTS), "--json")

    assert result.exit_code == ExitCode.EXPORT_FAILED
    summary = {item["name"]: item for item in json.loads(result.stdout)["exports"]}
    assert summary["paid-orders"]["result"] == "failed"
    assert summary["paid-orders"]["exit_code"] == 5
    assert "Disk on fire" in summary["paid-orders"]["error"]
    assert [summary[name]["result"] for name in ("vouchers", "customers")] == ["skipped", "skipped"]
    assert summary["vouchers"]["exit_code"] is None
    assert cli.export_count() == before + 1  # nothing was submitted after the failure
    assert not (isolated / "vouchers.csv").exists()


def test_keep_going_runs_the_rest_and_exits_with_the_failure(cli: Cli, isolated: Path) -> None:
    cli.sandbox.faults.fail_next_job()

    result = cli("run", write(isolated, THREE_EXPORTS), "--keep-going", "--json")

    assert result.exit_code == ExitCode.EXPORT_FAILED
    statuses = [(item["name"], item["result"]) for item in json.loads(result.stdout)["exports"]]
    assert statuses == [("paid-orders", "failed"), ("vouchers", "done"), ("customers", "done")]
    assert rows(isolated / "customers.csv")
    assert "[paid-orders] failed (exit 5)" in result.stderr


def test_the_worst_exit_code_wins(cli: Cli, isolated: Path) -> None:
    """The API rejects one export (4), another ends in ERROR (5), a third succeeds: the run exits 4."""
    text = """\
exports:
  - name: missing-card
    object: gift-card-transactions
    voucher: NO-SUCH-CARD
    output: missing.csv
  - name: broken
    object: customer
    output: broken.csv
  - name: fine
    object: voucher
    output: fine.csv
"""
    cli.sandbox.faults.fail_next_job()  # taken by `broken`: the rejected export creates no job

    result = cli("run", write(isolated, text), "--keep-going", "--json")

    codes = [(item["name"], item["exit_code"]) for item in json.loads(result.stdout)["exports"]]
    assert codes == [("missing-card", 4), ("broken", 5), ("fine", 0)]
    assert result.exit_code == ExitCode.API_REJECTED


def result(code: int | None) -> EntryResult:
    return EntryResult("x", "order", "failed" if code else "done", exit_code=code)


@pytest.mark.parametrize(
    ("codes", "worst"),
    [
        ([0, 0], 0),
        ([None, 0], 0),  # skipped exports do not count
        ([0, 8], 8),
        ([6, 5], 5),
        ([5, 4], 4),
        ([4, 7], 7),
        ([7, 1], 1),
        ([1, 2], 2),
        ([2, 3], 3),
        ([3, 130], 130),
    ],
)
def test_exit_code_ranking(codes: list[int | None], worst: int) -> None:
    assert worst_exit_code([result(code) for code in codes]) == worst


def test_the_whole_file_is_validated_before_anything_runs(cli: Cli, isolated: Path) -> None:
    before = cli.export_count()
    text = THREE_EXPORTS.replace("[code, voucher_type]", "[code, vouchr_type]").replace(
        "object: customer", "object: customers"
    )

    result = cli("run", write(isolated, text))

    assert result.exit_code == ExitCode.USAGE
    assert "exports.yaml:11: vouchers: parameters.fields[1]: unknown field 'vouchr_type'" in result.stderr
    assert "exports.yaml:13: exports[2].object: unknown object 'customers'. Did you mean 'customer'?" in result.stderr
    assert "2 problems" in result.stderr
    assert cli.export_count() == before


def test_every_target_is_checked_before_anything_runs(cli: Cli, isolated: Path) -> None:
    before = cli.export_count()
    (isolated / "customers.csv").write_text("old\n", encoding="utf-8")

    result = cli("run", write(isolated, THREE_EXPORTS))

    assert result.exit_code == ExitCode.USAGE
    assert "customers:" in result.stderr and "exists" in result.stderr
    assert cli.export_count() == before
    assert (isolated / "customers.csv").read_text(encoding="utf-8") == "old\n"


def test_only_runs_the_named_exports(cli: Cli, isolated: Path) -> None:
    path = write(isolated, THREE_EXPORTS)

    result = cli("run", path, "--only", "customers", "--only", "paid-orders", "--json")

    assert result.exit_code == 0, result.output
    assert [item["name"] for item in json.loads(result.stdout)["exports"]] == ["paid-orders", "customers"]
    assert not (isolated / "vouchers.csv").exists()
    unknown = cli("run", path, "--only", "voucher")
    assert unknown.exit_code == ExitCode.USAGE
    assert "no export is named 'voucher'. Did you mean 'vouchers'?" in unknown.stderr


def test_a_single_export_file_is_refused_with_the_command_to_run_it(cli: Cli, isolated: Path) -> None:
    result = cli("run", write(isolated, "parameters: {fields: [code]}\n", "vouchers.yaml"))

    assert result.exit_code == ExitCode.USAGE
    assert "not a multi-export file" in result.stderr
    assert "exportctl OBJECT -c" in result.stderr


@pytest.fixture
def limited() -> Iterator[tuple[Sandbox, list[str]]]:
    """A sandbox allowing 8 calls a second, with its access log."""
    log: list[str] = []
    timing = Timing(scheduled=0.01, in_progress=0.02, per_thousand_rows=0.0)
    with start_sandbox(scale=0.01, seed=3, timing=timing, rate_limit=(8, 1.0), access_log=log.append) as sandbox:
        yield sandbox, log


@pytest.mark.default_polling  # polling itself is under test: the product's schedule
def test_parallel_exports_share_one_rate_budget(
    limited: tuple[Sandbox, list[str]], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, log = limited
    # The poller spreads its last 10 calls of a window over minutes, which suits an hourly quota; in a
    # one-second window of 8 it would only make this test slow. Waiting for the refill is what is tested.
    monkeypatch.setattr("exportctl.jobs.poll.RATE_LOW_CALLS", 0)
    objects = ("order", "voucher", "customer", "publication", "redemption", "voucher-transactions")
    text = "exports:\n" + "".join(
        f"  - {{name: e{i}, object: {obj}, output: e{i}.csv}}\n" for i, obj in enumerate(objects)
    )

    result = Cli(sandbox)("run", write(isolated, text), "--parallel", "4", "--json")

    assert result.exit_code == 0, result.output
    assert [item["result"] for item in json.loads(result.stdout)["exports"]] == ["done"] * 6
    calls = [line for line in log if "HTTP/1.1" in line]
    refused = [line for line in calls if '" 429 ' in line]
    # Six exports need 18 calls or more (submit, a poll a second later, download), three windows of 8. With a
    # budget per client, clients that had not yet seen the window close ran into it (several 429s each window,
    # one per client); with one budget none does, but on a loaded machine the client's clock and the server's
    # one-second window can disagree by a call at each window's edge: at most one refusal per window, never
    # one per client.
    assert len(calls) > 2 * 8
    windows = -(-len(calls) // 8)
    assert len(refused) <= windows, refused


def test_ctrl_c_stops_every_export_and_exits_130(isolated: Path) -> None:
    slow = Timing(scheduled=60.0, in_progress=1.0, per_thousand_rows=0.0)
    with start_sandbox(scale=0.01, seed=3, timing=slow) as sandbox:
        path = write(isolated, THREE_EXPORTS)
        errors = isolated / "stderr.log"
        argv = [*Cli(sandbox).credentials(), "run", path, "--parallel", "2", "--json"]
        with errors.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "exportctl", *argv],
                cwd=isolated,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
            )
            deadline = time.monotonic() + 20
            while errors.read_text().count(" submitted ") < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            process.send_signal(signal.SIGINT)
            stdout, _ = process.communicate(timeout=15)

    assert process.returncode == ExitCode.INTERRUPTED, errors.read_text()
    summary = {item["name"]: item for item in json.loads(stdout)["exports"]}
    for name in ("paid-orders", "vouchers"):
        assert summary[name]["result"] == "interrupted"
        export_id = summary[name]["export_id"]
        assert summary[name]["hint"] == f"exportctl wait {export_id} && exportctl download {export_id} -o {name}.csv"
    assert summary["customers"]["result"] == "skipped"
