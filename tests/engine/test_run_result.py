"""RunResult: `run --json`'s document and its table from one value (vs the CLI: tests/test_library_jobs.py)."""

from __future__ import annotations

import json
from pathlib import Path

from exportctl.engine.contract import CONTRACT_KEYS
from exportctl.engine.result import ExportResult
from exportctl.engine.run_result import RUN_TABLE_COLUMNS, RunEntry, RunResult


def _export(rows: int, size: int) -> ExportResult:
    return ExportResult(
        export_ids=("exp_1",),
        output=Path(f"{rows}.csv"),
        rows=rows,
        bytes=size,
        sha256="ab",
        seconds=0.5,
        api_calls=4,
        command="voucher",
        export_id="exp_1",
        exported_object="voucher",
        status="DONE",
    )


def test_the_document_sums_the_exports_and_names_the_failed_ones() -> None:
    result = RunResult(
        exports=(
            RunEntry(
                "a",
                "voucher",
                "done",
                0,
                export_id="exp_1",
                exported_object="voucher",
                seconds=1.0,
                export=_export(3, 30),
            ),
            RunEntry("b", "order", "failed", 5, "Export exp_2 ended in ERROR", export_id="exp_2", seconds=2.0),
            RunEntry("c", "customer", "skipped", error="not started: an earlier export failed"),
        ),
        exit_code=5,
        seconds=3.14159,
    )

    document = result.to_dict()

    assert list(document) == [*CONTRACT_KEYS, "exports"]
    assert (document["object"], document["exit_code"], document["seconds"]) == ("run", 5, 3.142)
    assert document["error"] == "1 of 3 exports failed: b."
    assert (document["rows"], document["bytes"], document["api_calls"]) == (3, 30, 4)
    first, second, third = document["exports"]
    assert list(first) == [*CONTRACT_KEYS, "name", "result"]
    assert (first["status"], first["output"], first["exit_code"]) == ("DONE", "3.csv", 0)
    assert (second["status"], second["api_calls"], second["exported_object"]) == (None, None, None)
    assert (third["exit_code"], third["result"]) == (None, "skipped")
    assert json.loads(result.to_json()) == document
    assert not result.ok and [entry.name for entry in result.failed] == ["b"]


def test_the_table_rows_follow_the_columns() -> None:
    entry = RunEntry("a", "voucher", "done", 0, seconds=1.23456, export=_export(3, 30))
    assert dict(zip(RUN_TABLE_COLUMNS, entry.row(), strict=True)) == {
        "name": "a",
        "object": "voucher",
        "status": "done",
        "rows": 3,
        "bytes": 30,
        "output": "3.csv",
        "seconds": 1.235,
        "error": None,
    }


def test_an_export_loaded_into_a_table_adds_its_facts() -> None:
    from dataclasses import replace

    from exportctl.engine.result import TypedFacts

    loaded = replace(_export(3, 30), typed=TypedFacts(None, into={"table": "voucher", "inserted": 3}))
    document = RunEntry("a", "voucher", "done", 0, export=loaded).to_dict()
    assert document["into"] == {"table": "voucher", "inserted": 3} and list(document)[-1] == "into"
