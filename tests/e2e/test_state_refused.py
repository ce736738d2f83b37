"""Hostile state files are refused by the CLI before anything is submitted: exit 2, a message naming the file,
nothing written through a link (the state store, exportctl/state/)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox
from tests.cli import conftest as e2e
from tests.cli.conftest import Cli
from tests.cli.test_fault_matrix import collapsed
from tests.conftest import start_sandbox

isolated = e2e.isolated


@pytest.fixture(scope="module")
def own_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox of this module's own: its count of exports moves only with this module's commands."""
    root = tmp_path_factory.mktemp("state-refused-sandbox")
    with start_sandbox(db_path=root / "db.sqlite3", data_dir=root / "exports") as running:
        yield running


@pytest.fixture
def cli(own_sandbox: Sandbox) -> Cli:
    return Cli(own_sandbox)


def test_a_symlinked_state_file_is_refused_and_its_target_untouched(cli: Cli, isolated: Path) -> None:
    victim = isolated / "victim.json"
    victim.write_text('{"version": 1, "exports": {}}')
    (isolated / "state.json").symlink_to(victim)
    before = cli.export_count()
    result = cli("voucher", "--since-last", "state.json", "-o", "v.csv")
    assert result.exit_code == 2, result.output
    assert "state.json is a symbolic link, which exportctl never reads or writes through" in collapsed(result.stderr)
    assert cli.export_count() == before
    assert victim.read_text() == '{"version": 1, "exports": {}}' and not (isolated / "v.csv").exists()


def test_a_state_file_of_a_newer_exportctl_is_refused_not_overwritten(cli: Cli, isolated: Path) -> None:
    newer = {"version": 2, "exports": {}, "what": "a newer format"}
    (isolated / "state.json").write_text(json.dumps(newer))
    before = cli.export_count()
    result = cli("voucher", "--since-last", "state.json", "-o", "v.csv")
    assert result.exit_code == 2, result.output
    assert "written by a newer exportctl (format version 2; this one reads up to 1)" in collapsed(result.stderr)
    assert cli.export_count() == before
    assert json.loads((isolated / "state.json").read_text()) == newer


def test_a_directory_in_the_split_manifests_place_is_refused_before_submitting(cli: Cli, isolated: Path) -> None:
    (isolated / "o.csv.manifest.json").mkdir()
    before = cli.export_count()
    result = cli("order", "--split-by", "month", "--since", "2024-09-01", "--until", "2024-11-01", "-o", "o.csv")
    assert result.exit_code == 2, result.output
    assert "o.csv.manifest.json is a directory, not a file" in collapsed(result.stderr)
    assert cli.export_count() == before
