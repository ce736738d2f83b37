"""The messages a person meets first, each as seen in issue 11, and the sizes a download reports."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

from rich.console import Console

from exportctl.cli.reporters import LiveReporter
from exportctl.events import DownloadProgress, DownloadStarted
from exportctl.request.configfile import MULTI_EXPORT_KEYS
from exportctl.request.runfile import MULTI_KEYS
from tests.cli.conftest import Cli

SAMPLES = Path(__file__).resolve().parents[2] / "sample-configs"


def test_a_multi_export_file_given_to_an_export_command_points_to_run(cli: Cli) -> None:
    nightly = SAMPLES / "nightly.yaml"
    result = cli("order", "-c", str(nightly), "--dry-run")
    assert result.exit_code == 2
    assert "multi-export file" in result.output
    assert f"exportctl run {nightly}" in result.output
    assert tuple(MULTI_KEYS) == MULTI_EXPORT_KEYS


def test_validate_names_an_unknown_object_and_the_close_one(cli: Cli, isolated: Path) -> None:
    (isolated / "exports.yaml").write_text("exported_object: vouchers\n")
    result = cli("validate", "exports.yaml", credentials=False)
    assert result.exit_code == 2
    assert "unknown object 'vouchers'. Did you mean 'voucher'?" in result.output
    assert "cannot tell" not in result.output


def test_parallel_without_split_in_a_file_names_its_key_and_line(cli: Cli, isolated: Path) -> None:
    (isolated / "redemption.yaml").write_text("parameters:\n  fields: [id]\nparallel: 3\n")
    result = cli("redemption", "-c", "redemption.yaml", "--dry-run", credentials=False)
    assert result.exit_code == 2
    assert "redemption.yaml:3: parallel runs" in result.output and "split:" in result.output


def test_a_relative_time_without_its_sign_suggests_the_relative_forms(cli: Cli) -> None:
    result = cli("order", "--filter", "created_at>30d", "--dry-run", credentials=False)
    assert result.exit_code == 2
    assert "-30d (30 days ago)" in result.output and "+7d" in result.output


def _after(cli: Cli, *flags: str) -> dt.datetime:
    """The `$after` instant the API received for an order export submitted with `flags`."""
    submitted = cli("order", *flags, "--no-wait")
    assert submitted.exit_code == 0, submitted.output
    export_id = submitted.stdout.strip()
    shown = cli("status", export_id, "--json")
    export = json.loads(shown.stdout)["export"]  # the JSON contract keeps the API's object under "export"
    conditions = export["parameters"]["filters"]["created_at"]["conditions"]
    value = conditions["$after"]
    text = value[0] if isinstance(value, list) else value
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_since_accepts_relative_times_as_the_filters_do(cli: Cli) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    thirty_days_ago = _after(cli, "--since", "-30d")
    assert abs(thirty_days_ago - (now - dt.timedelta(days=30))) < dt.timedelta(minutes=2)
    midnight = _after(cli, "--since", "yesterday") + dt.timedelta(milliseconds=1)
    assert midnight.time() == dt.time(0, 0) and dt.timedelta(days=1) <= now - midnight < dt.timedelta(days=2)


def test_an_unparsable_since_lists_the_relative_forms(cli: Cli) -> None:
    result = cli("order", "--since", "last tuesday", "--dry-run", credentials=False)
    assert result.exit_code == 2
    assert "-30d" in result.output and "yesterday" in result.output


def test_wait_for_an_export_that_does_not_exist_says_so_once(cli: Cli) -> None:
    result = cli("wait", "exp_doesnotexist")
    assert result.exit_code == 4
    assert "Export exp_doesnotexist does not exist" in result.output
    assert "deleted while waiting" not in result.output
    assert len(re.findall(r"\[v-[0-9a-f]+\]", result.output)) == 1


def test_an_sql_style_order_suggests_the_api_form(cli: Cli) -> None:
    result = cli("order", "--order", "created_at desc", "--dry-run", credentials=False)
    assert result.exit_code == 2
    assert "Did you mean '-created_at'?" in result.output
    result = cli("order", "--order", "created_at ASC", "--dry-run", credentials=False)
    assert "Did you mean 'created_at'?" in result.output


def test_an_api_url_ending_in_v1_is_accepted(cli: Cli) -> None:
    sandbox = cli.sandbox
    result = cli(
        "--api-url", f"{sandbox.base_url}/v1/", "--app-id", sandbox.app_id, "--app-token", sandbox.secret_key,
        "-v", "list", credentials=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "/v1/v1/" not in result.output


def test_bad_flags_are_errors_in_the_one_style(cli: Cli) -> None:
    for argv, command in ((["order", "--bogus"], "exportctl order"), (["--bogus", "list"], "exportctl")):
        result = cli(*argv, credentials=False)
        assert result.exit_code == 2
        assert result.output.startswith("error: No such option: --bogus")
        assert "Usage:" not in result.output and "Error:" not in result.output
        assert f"See '{command} --help'" in result.output
    missing = cli("order", "--fields", credentials=False)
    assert missing.exit_code == 2 and "error: Option '--fields' requires an argument." in missing.output
    assert "See 'exportctl order --help'" in missing.output
    # A bare command still shows its help, as before.
    assert "Usage:" in cli(credentials=False).output


def test_a_gz_target_reports_its_size_on_disk_beside_the_csv_size(cli: Cli, isolated: Path) -> None:
    result = cli("voucher", "-o", "vouchers.csv.gz")
    assert result.exit_code == 0, result.output
    on_disk = (isolated / "vouchers.csv.gz").stat().st_size
    line = next(line for line in result.output.splitlines() if " saved " in line)
    sizes = re.search(r"\(([\d.]+ \w+) CSV, ([\d.]+ \w+) gzip on disk\)", line)
    assert sizes is not None, line
    value, unit = sizes.group(2).split()
    assert abs(float(value) * {"B": 1, "KiB": 1024, "MiB": 1024**2}[unit] - on_disk) <= 0.05 * 1024 + 1
    plain = cli("voucher", "-o", "vouchers.csv")
    assert "gzip on disk" not in plain.output


def test_the_progress_bar_counts_in_the_units_of_the_log_line() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=shutil.get_terminal_size().columns or 120)
    with LiveReporter(console) as report:
        report(DownloadStarted("exp_1", "v.csv", 3 * 1024 * 1024))
        report(DownloadProgress("exp_1", 1024 * 1024, 3 * 1024 * 1024))
        console.print(report._progress.get_renderable())  # what the bar shows now
    screen = stream.getvalue()
    assert "downloading 3.0 MiB" in screen  # the plain line
    assert "1.0/3.0 MiB" in screen and " MB" not in screen
