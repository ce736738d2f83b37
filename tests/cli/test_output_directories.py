"""Output directories are created when the file is written (`mkdir -p`, mode from the umask), never by a dry run.

`-o DIR/FILE`, `--output-dir DIR` and a run file's `output`/`output_dir` (the samples' `output_dir: exports`
on a fresh checkout). A component that is a file or a symbolic link to nothing is a clear message, exit 2,
before any export is created.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.cli.conftest import Cli

SAMPLES = Path(__file__).resolve().parents[2] / "sample-configs"


def test_o_into_a_missing_directory_creates_it(cli: Cli, isolated: Path) -> None:
    result = cli("voucher", "-o", "new/deeper/vouchers.csv")
    assert result.exit_code == 0, result.output
    assert (isolated / "new" / "deeper" / "vouchers.csv").read_text().startswith("Code")


def test_output_dir_that_is_missing_is_created(cli: Cli, isolated: Path) -> None:
    result = cli("voucher", "--output-dir", "out", "--json")
    assert result.exit_code == 0, result.output
    saved = Path(json.loads(result.stdout)["output"])
    assert saved.parent == Path("out") and (isolated / saved).is_file()


def test_the_nightly_sample_runs_on_a_fresh_checkout(cli: Cli, isolated: Path) -> None:
    shutil.copy(SAMPLES / "nightly.yaml", isolated / "nightly.yaml")
    dry = cli("run", "nightly.yaml", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Would create the directory exports (it does not exist yet)" in dry.stderr
    assert not (isolated / "exports").exists(), "a dry run creates nothing"
    result = cli("run", "nightly.yaml", "--keep-going", "--format", "tsv")
    assert result.exit_code == 0, result.output
    names = {p.name.split("-20")[0] for p in (isolated / "exports").iterdir()}
    assert {"new-customers", "paid-orders", "redemptions"} <= names, names


def test_a_dry_run_says_so_in_json(cli: Cli, isolated: Path) -> None:
    result = cli("voucher", "-o", "later/v.csv", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["creates_directory"] == "later"
    assert not (isolated / "later").exists()


def test_a_file_on_the_way_is_refused(cli: Cli, isolated: Path) -> None:
    (isolated / "exports").write_text("not a directory")
    result = cli("voucher", "--output-dir", "exports/daily")
    assert result.exit_code == 2, result.output
    assert "exports is a file" in " ".join(result.stderr.split())


def test_a_databases_missing_directory_is_created_by_the_run_and_announced_by_the_dry_run(
    cli: Cli, isolated: Path
) -> None:
    dry = cli("order", "--into", "sqlite:warehouse/w.db", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["creates_directory"] == "warehouse"
    said = cli("order", "--into", "sqlite:warehouse/w.db", "--dry-run")
    assert "Would create the directory warehouse (it does not exist yet)" in said.stderr
    assert not (isolated / "warehouse").exists(), "a dry run creates nothing"

    run = cli("order", "--into", "sqlite:warehouse/w.db", "--json")
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["into"]["rows_loaded"] > 0
    assert sorted(p.name for p in (isolated / "warehouse").iterdir()) == ["w.db"]


def test_the_library_plan_says_so_and_export_creates_it(cli: Cli, isolated: Path) -> None:
    import exportctl

    planned = exportctl.plan("voucher", output="later/v.csv", fields=["code"])
    assert planned.to_dict()["creates_directory"] == "later" and not (isolated / "later").exists()
    settings = exportctl.Settings(
        base_url=cli.sandbox.base_url, app_id=cli.sandbox.app_id, app_token=cli.sandbox.secret_key
    )
    result = exportctl.export("voucher", output="later/v.csv", fields=["code"], settings=settings)
    assert result.output == Path("later/v.csv") and (isolated / "later" / "v.csv").read_text().startswith("Code")
