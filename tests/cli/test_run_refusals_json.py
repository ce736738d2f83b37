"""`exportctl run FILE --json` refused at plan time (an existing target, a load target that cannot take the
export): the JSON carries the real reasons, per export, not a pointer to `validate`, which answers OK."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from exportctl.errors import ExitCode
from tests.cli.conftest import Cli

NIGHTLY = """\
defaults:
  output: "{name}.csv"
exports:
  - name: vouchers
    object: voucher
  - name: orders
    object: order
  - name: customers
    object: customer
    into: sqlite:w.db
    output: null
"""


def _nightly(root: Path) -> Path:
    path = root / "nightly.yaml"
    path.write_text(NIGHTLY, encoding="utf-8")
    (root / "vouchers.csv").write_text("kept\n", encoding="utf-8")  # an existing target
    conn = sqlite3.connect(root / "w.db")
    conn.execute("CREATE TABLE customer (id TEXT)")  # a table of the user's
    conn.commit()
    conn.close()
    return path


def test_the_json_of_a_refused_run_names_each_exports_reason(cli: Cli, isolated: Path) -> None:
    path = _nightly(isolated)
    before = cli.export_count()

    result = cli("run", str(path), "--json")

    assert result.exit_code == ExitCode.USAGE
    document = json.loads(result.stdout)
    assert "validate" not in (document["hint"] or "")
    assert "already exists" in document["error"] and "vouchers" in document["error"]
    by_name = {entry["name"]: entry for entry in document["exports"]}
    assert [entry["name"] for entry in document["exports"]] == ["vouchers", "orders", "customers"]
    assert by_name["vouchers"]["result"] == "refused" and by_name["vouchers"]["exit_code"] == ExitCode.USAGE
    assert "vouchers.csv already exists" in by_name["vouchers"]["error"]
    assert "--force" in by_name["vouchers"]["hint"]
    assert by_name["customers"]["result"] == "refused"
    assert "exists and was not made by exportctl" in by_name["customers"]["error"]
    assert by_name["orders"]["result"] == "skipped" and by_name["orders"]["error"] is None
    assert [problem["line"] for problem in document["problems"]] == [4, 8]
    assert all(problem["message"] in result.stderr for problem in document["problems"])
    assert cli.export_count() == before
    assert (isolated / "vouchers.csv").read_text(encoding="utf-8") == "kept\n"


def test_validate_says_ok_to_what_the_run_refuses(cli: Cli, isolated: Path) -> None:
    """Why the hint no longer sends the user there: validate does not look at targets."""
    path = _nightly(isolated)
    assert cli("validate", str(path), credentials=False).exit_code == 0


def test_a_file_with_its_own_problems_still_points_at_validate(cli: Cli, isolated: Path) -> None:
    path = isolated / "bad.yaml"
    path.write_text("exports:\n  - name: x\n    object: vouchr\n", encoding="utf-8")

    result = cli("run", str(path), "--json")

    assert result.exit_code == ExitCode.USAGE
    document = json.loads(result.stdout)
    assert document["hint"] == f"Check the file with: exportctl validate {path}"
    assert "unknown object 'vouchr'" in document["problems"][0]["message"]
