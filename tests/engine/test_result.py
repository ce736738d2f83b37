"""ExportResult is the one result: the library's `export()` returns it, and its `to_dict()` is, key for key
and in order, what `exportctl OBJECT --json` prints for the same export against the same sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import exportctl
from exportctl.engine.contract import CONTRACT_KEYS
from exportctl.engine.result import ExportResult, Span, TypedFacts, WindowSummary
from exportctl.sandbox import Sandbox
from tests.cli.conftest import ENV_NAMES, Cli
from tests.conftest import sandbox_settings

# Differ between two runs of the same export: the ids the API gives and how long each took.
VARYING = ("export_id", "seconds", "api_calls")


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    directory = tmp_path / "work"
    directory.mkdir()
    monkeypatch.chdir(directory)
    yield directory


def _stable(document: dict[str, Any]) -> dict[str, Any]:
    stable = {key: value for key, value in document.items() if key not in VARYING}
    if "windows" in stable:
        stable["windows"] = [{k: v for k, v in w.items() if k != "export_id"} for w in stable["windows"]]
    return stable


CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "a CSV": ({"fields": ["code", "value"]}, ["--fields", "code,value"]),
    "a time window": (
        {"fields": ["code"], "since": "2025-01-01", "until": "2026-01-01"},
        ["--fields", "code", "--since", "2025-01-01", "--until", "2026-01-01"],
    ),
    "a split export": (
        {"fields": ["code"], "since": "2026-01-01", "until": "2026-03-01", "split_by": "month"},
        ["--fields", "code", "--since", "2026-01-01", "--until", "2026-03-01", "--split-by", "month"],
    ),
    "headers as field names": ({"fields": ["code"], "headers": "fields"}, ["--fields", "code", "--headers", "fields"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_library_result_is_the_cli_json_document(sandbox: Sandbox, work: Path, case: str) -> None:
    keywords, flags = CASES[case]

    result = exportctl.export("voucher", output="lib.csv", settings=sandbox_settings(sandbox), **keywords)
    printed = Cli(sandbox)("voucher", *flags, "-o", "cli.csv", "--json")

    assert printed.exit_code == 0, printed.output
    document = json.loads(printed.stdout)
    mine = result.to_dict()
    assert list(mine) == list(document)  # the same keys, in the same order
    assert _stable(mine) | {"output": "cli.csv"} == _stable(document)
    assert (work / "lib.csv").read_bytes() == (work / "cli.csv").read_bytes()
    assert result.summary == mine and json.loads(result.to_json()) == mine


def test_a_typed_output_result_is_the_cli_json_document(sandbox: Sandbox, work: Path) -> None:
    pytest.importorskip("duckdb")
    result = exportctl.export(
        "voucher", fields=["code", "value"], format="jsonl", output="lib.jsonl", settings=sandbox_settings(sandbox)
    )
    printed = Cli(sandbox)("voucher", "--fields", "code,value", "--format", "jsonl", "-o", "cli.jsonl", "--json")

    document = json.loads(printed.stdout)
    assert list(result.to_dict()) == list(document)
    assert _stable(result.to_dict()) | {"output": "cli.jsonl"} == _stable(document)
    assert result.typed is not None and result.typed.format == "jsonl" and result.typed.csv is not None


def test_an_export_not_waited_for_has_its_id_and_no_file(sandbox: Sandbox, work: Path) -> None:
    result = exportctl.export("customer", wait=False, settings=sandbox_settings(sandbox))
    printed = Cli(sandbox)("customer", "--no-wait", "--json")

    document = json.loads(printed.stdout)
    assert list(result.to_dict()) == list(document)
    assert _stable(result.to_dict()) == _stable(document)
    assert result.output is None and result.export_id == result.export_ids[0]


def test_a_split_result_has_typed_windows(sandbox: Sandbox, work: Path) -> None:
    keywords, _ = CASES["a split export"]
    result = exportctl.export("voucher", output="v.csv", settings=sandbox_settings(sandbox), **keywords)

    assert result.export_id is None and result.split_by == "month"
    assert [(w.since, w.until) for w in result.windows] == [
        ("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"),
        ("2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"),
    ]
    assert result.export_ids == tuple(w.export_id for w in result.windows if w.export_id)
    assert result.rows == sum(w.rows for w in result.windows)
    assert result.span == Span("2026-01-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z")


def test_the_contract_keys_come_first_and_each_part_adds_its_own() -> None:
    result = ExportResult(
        export_ids=(),
        output=Path("out") / "v.jsonl",
        rows=2,
        bytes=10,
        sha256="ab",
        seconds=1.23456,
        api_calls=3,
        command="voucher",
        exported_object="voucher",
        status="DONE",
        span=Span("2026-01-01T00:00:00.000Z", None),
        split_by="month",
        windows=(WindowSummary("2026-01-01T00:00:00.000Z", None, "exp_1", 2, 9, "cd", False),),
        typed=TypedFacts("jsonl", into={"table": "voucher"}),
    )

    document = result.to_dict()

    assert list(document)[: len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    assert list(document)[len(CONTRACT_KEYS) :] == ["windows", "since", "until", "split_by", "format", "into"]
    assert document["output"] == str(Path("out") / "v.jsonl") and document["seconds"] == 1.235
    assert (document["exit_code"], document["error"], document["hint"]) == (0, None, None)
    assert json.loads(result.to_json()) == document


def test_an_incremental_result_has_its_watermark_as_the_cli_prints_it(sandbox: Sandbox, work: Path) -> None:
    result = exportctl.export(
        "voucher", fields=["code"], since_last="lib.state", output="lib.csv", settings=sandbox_settings(sandbox)
    )
    printed = Cli(sandbox)("voucher", "--fields", "code", "--since-last", "cli.state", "-o", "cli.csv", "--json")

    document = json.loads(printed.stdout)
    assert list(result.to_dict()) == list(document)
    watermark = result.watermark
    assert watermark is not None and watermark.state == "lib.state" and watermark.previous_watermark is None
    assert result.span is not None and result.span.until == watermark.watermark
    assert document["state"] == "cli.state" and document["previous_watermark"] is None
    moments = ("since", "until", "watermark", "state", "state_key", "output")
    assert _stable(result.to_dict()) | {k: document[k] for k in moments} == _stable(document)
