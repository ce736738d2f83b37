"""The typed result of a run of a multi-export file (`exportctl run`, `exportctl.run()`), one entry per export.

`RunResult.to_dict()` is `exportctl run --json`'s document, `RunResult.rows()` its table; an entry's
document has the contract's keys (engine/result.py) plus `name` and `result`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exportctl.engine.contract import blank
from exportctl.engine.result import Document, ExportResult, rounded

# How an export of a run ended (`result` in its document); `refused` by the plan, before anything ran.
RUN_RESULTS = ("done", "submitted", "failed", "skipped", "interrupted", "refused")
# The columns of `exportctl run`'s table, from `RunEntry.row()`.
RUN_TABLE_COLUMNS = ("name", "object", "status", "rows", "bytes", "output", "seconds", "error")


@dataclass(frozen=True)
class RunEntry(Document):
    """One export of a run file: how the run treated it (`result`), and its export when it ran."""

    name: str
    command: str
    result: str  # one of RUN_RESULTS
    exit_code: int | None = None  # None for skipped
    error: str | None = None
    hint: str | None = None
    export_id: str | None = None
    exported_object: str | None = None
    seconds: float | None = None  # None when refused before anything ran
    export: ExportResult | None = None  # what the export did, when it ended without an error

    def to_dict(self) -> dict[str, Any]:
        export = self.export
        document = blank(
            self.command,
            export_id=self.export_id,
            exported_object=self.exported_object,
            exit_code=self.exit_code,
            error=self.error,
            hint=self.hint,
            seconds=rounded(self.seconds),
        )
        if export is not None:
            document |= {
                "status": export.status,
                "output": None if export.output is None else str(export.output),
                "bytes": export.bytes,
                "rows": export.rows,
                "sha256": export.sha256,
                "api_calls": export.api_calls,
            }
        document |= {"name": self.name, "result": self.result}
        if export is not None and export.typed is not None and export.typed.into is not None:
            document["into"] = dict(export.typed.into)  # the table's facts, as a single export's
        return document

    def row(self) -> tuple[Any, ...]:
        """The row of `exportctl run`'s table, in RUN_TABLE_COLUMNS' order."""
        export = self.export
        output = None if export is None or export.output is None else str(export.output)
        rows = None if export is None else export.rows
        size = None if export is None else export.bytes
        return (self.name, self.command, self.result, rows, size, output, rounded(self.seconds), self.error)


@dataclass(frozen=True)
class RunResult(Document):
    """A run of a multi-export file: `exportctl.run()`'s value and `exportctl run --json`'s document."""

    exports: tuple[RunEntry, ...]
    exit_code: int  # the worst of the exports' (see jobs/batch.py EXIT_CODE_RANKING); 0 when all succeeded
    seconds: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def failed(self) -> tuple[RunEntry, ...]:
        """The exports that ended with an error (interrupted ones included)."""
        return tuple(entry for entry in self.exports if entry.exit_code)

    def to_dict(self) -> dict[str, Any]:
        entries = [entry.to_dict() for entry in self.exports]
        failed = [entry["name"] for entry in entries if entry["exit_code"]]
        document = blank("run", exit_code=self.exit_code, seconds=rounded(self.seconds))
        if failed:
            document["error"] = f"{len(failed)} of {len(entries)} exports failed: {', '.join(failed)}."
        for key in ("bytes", "rows", "api_calls"):
            document[key] = sum(entry[key] or 0 for entry in entries)
        document["exports"] = entries
        return document

    def rows(self) -> list[tuple[Any, ...]]:
        """The rows of `exportctl run`'s table."""
        return [entry.row() for entry in self.exports]
