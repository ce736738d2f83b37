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
