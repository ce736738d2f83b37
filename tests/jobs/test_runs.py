"""jobs/runs.py offline: a run file planned as a whole, its refusals as one error (the CLI's and the library's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exportctl.errors import ConfigError
from exportctl.jobs.runs import plan_run

FILE = """\
defaults:
  output: "{name}.csv"
exports:
  - name: one
    object: voucher
  - name: two
    object: customer
"""


def test_every_export_is_planned_when_nothing_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.yaml").write_text(FILE, encoding="utf-8")
    plan = plan_run(Path("run.yaml"), only=["two"])
    assert not plan.problems and [item.entry.name for item in plan.planned] == ["two"]


def test_an_existing_target_refuses_the_run_with_the_first_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.yaml").write_text(FILE, encoding="utf-8")
    (tmp_path / "two.csv").write_text("x\n", encoding="utf-8")

    plan = plan_run(Path("run.yaml"))

    assert [entry.result for entry in plan.refused_entries()] == ["skipped", "refused"]
    error = plan.error()
    assert error.message.startswith("1 problem in run.yaml; nothing was run: two: ")
    assert error.hint == "Rerun with: exportctl run run.yaml --force (or --output-dir DIR)"
    assert not plan_run(Path("run.yaml"), force=True).problems


def test_a_single_export_file_is_not_a_run(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text("object: voucher\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a multi-export file"):
        plan_run(path)


def test_two_exports_moving_one_watermark_refuse_the_run_and_two_keys_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each plan reads the watermark before either runs: the second would find it moved under it."""
    monkeypatch.chdir(tmp_path)
    entry = (
        "  - name: {name}\n    object: order\n    incremental: {{state: st.json{key}}}\n"
        "    output: '{name}-{{id}}.csv'\n"
    )
    shared = "exports:\n" + entry.format(name="a", key="") + entry.format(name="b", key="")
    (tmp_path / "run.yaml").write_text(shared, encoding="utf-8")

    plan = plan_run(Path("run.yaml"))

    assert [entry.result for entry in plan.refused_entries()] == ["skipped", "refused"]
    assert "a and b both move the watermark" in plan.error().message

    own = "exports:\n" + entry.format(name="a", key="") + entry.format(name="b", key=", key: b")
    (tmp_path / "run.yaml").write_text(own, encoding="utf-8")
    assert not plan_run(Path("run.yaml")).problems
