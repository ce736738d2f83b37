"""The typed result of an export, what every door returns or prints: `ExportResult` and its parts.

Each value has `to_dict()` (the command's `--json` document, key for key and in its order) and `to_json()`
(that document as JSON text). The CLI prints `to_dict()`, the library returns the value itself and the
`run` table reads its rows from it, so the three cannot drift apart. The results of a run are in
engine/run_result.py, those of `wait` and `list` in engine/existing_result.py.

The contract's keys (`engine/contract.py` CONTRACT_KEYS) come first in every document, null where they do
not apply; a result adds its own after them (`windows`, `since`/`until`, `split_by`, a typed output's `format`, `csv`,
`rows_written`, `unparsed_rows` and `into`, an incremental run's watermark; `exports` for a list or a run).

No typer, rich or requests here: the CLI (layer 3), the jobs and the library import this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from exportctl.engine.contract import blank


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


class Document:
    """`to_json()` for a value with `to_dict()`."""

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every result defines its own
        raise NotImplementedError

    def to_json(self) -> str:
        """The `--json` document as JSON text (one line)."""
        return json.dumps(self.to_dict())


@dataclass(frozen=True)
class Span:
    """The creation-time window an export covered, as ISO 8601 UTC instants (None: open on that side)."""

    since: str | None
    until: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until}


@dataclass(frozen=True)
class WindowSummary:
    """One window of a split export: its span, its export (None when an earlier run saved it) and its part."""

    since: str | None
    until: str | None
    export_id: str | None
    rows: int
    bytes: int
    sha256: str
    reused: bool  # saved by an earlier, interrupted run of the same command

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "export_id": self.export_id,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "reused": self.reused,
        }


@dataclass(frozen=True)
class CsvFacts:
    """The CSV a typed output was made from: its size, records and digest."""

    bytes: int | None
    rows: int | None
    sha256: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"bytes": self.bytes, "rows": self.rows, "sha256": self.sha256}


@dataclass(frozen=True)
class TypedFacts:
    """A typed output (`--format jsonl|parquet`) or load (`--into`): its format, the CSV's own figures, the table."""

    format: str | None  # None when only a table was written
    csv: CsvFacts | None = None  # for jsonl and parquet
    rows_written: int | None = None
    unparsed_rows: int | None = None
    into: Mapping[str, Any] | None = None  # the table's facts (warehouse), for --into

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {"format": self.format}
        if self.csv is not None:
            document |= {"csv": self.csv.to_dict(), "rows_written": self.rows_written}
            document["unparsed_rows"] = self.unparsed_rows
        if self.into is not None:
            document["into"] = dict(self.into)
        return document


@dataclass(frozen=True)
class Watermark:
    """An incremental run (`--since-last STATE`): where its state is kept and how its watermark moved."""

    state: str
    state_key: str
    previous_watermark: str | None
    watermark: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "state_key": self.state_key,
            "previous_watermark": self.previous_watermark,
            "watermark": self.watermark,
        }


@dataclass(frozen=True)
class ExportResult(Document):
    """What an export did: the export id(s), the saved file and what is in it, the cost.

    The value `exportctl.export()` and `exportctl.download()` return, and what `exportctl OBJECT --json`
    and `exportctl download --json` print (`to_dict()`).
    """

    export_ids: tuple[str, ...]  # one, or one per window of a split export
    output: Path | Literal["-"] | str | None  # None when not waited for (wait=False) or a table only; str: a bucket
    rows: int | None
    bytes: int | None
    sha256: str | None  # of the saved file: the CSV (a kind's filtered rows, a rewritten header row) or typed file
    seconds: float
    api_calls: int
    command: str = ""  # the command: voucher, order, ..., or download
    export_id: str | None = None  # None for a split export (see `windows`)
    exported_object: str | None = None  # the API's object: voucher, voucher_transactions, ...
    status: str | None = None  # the export's status as last seen (DONE once downloaded)
    span: Span | None = None  # --since/--until, the split's range or the incremental run's window
    split_by: str | None = None
    windows: tuple[WindowSummary, ...] = ()
    typed: TypedFacts | None = None
    watermark: Watermark | None = None
    # Keys of the outcome that this version has no field for (a newer step's), kept in the document.
    more: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def summary(self) -> dict[str, Any]:
        """The `--json` document, key for key (the same as `to_dict()`)."""
        return self.to_dict()

    def to_dict(self) -> dict[str, Any]:
        document = blank(
            self.command,
            export_id=self.export_id,
            exported_object=self.exported_object,
            status=self.status,
            output=None if self.output is None else str(self.output),
            bytes=self.bytes,
            rows=self.rows,
            sha256=self.sha256,
            seconds=rounded(self.seconds),
            api_calls=self.api_calls,
        )
        if self.split_by is not None:
            document["windows"] = [window.to_dict() for window in self.windows]
        if self.span is not None:
            document |= self.span.to_dict()
        if self.split_by is not None:
            document["split_by"] = self.split_by
        if self.typed is not None:
            document |= self.typed.to_dict()
        if self.watermark is not None:
            document |= self.watermark.to_dict()
        return document | dict(self.more)


# From the jobs' outcome ------------------------------------------------------------------------------


class _Download(Protocol):
    @property
    def target(self) -> Path | Literal["-"]: ...
    @property
    def url(self) -> str | None: ...
    @property
    def bytes(self) -> int: ...
    @property
    def rows(self) -> int: ...
    @property
    def sha256(self) -> str: ...


class Outcome(Protocol):
    """What `jobs.single.ExportOutcome` gives (kept a protocol: the jobs import this module, not the reverse)."""

    @property
    def export_id(self) -> str: ...
    @property
    def exported_object(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def download(self) -> _Download | None: ...
    @property
    def calls(self) -> int: ...
    @property
    def seconds(self) -> float: ...
    @property
    def extra(self) -> dict[str, Any]: ...


_SPAN = ("since", "until")
_TYPED = ("format", "csv", "rows_written", "unparsed_rows", "into")
_WATERMARK = ("state", "state_key", "previous_watermark", "watermark")
_KNOWN = {"export_id", "output", "bytes", "sha256", "windows", "split_by", *_SPAN, *_TYPED, *_WATERMARK}


def from_outcome(outcome: Outcome, command: str, *, export_ids: Sequence[str] | None = None) -> ExportResult:
    """The result of an export the jobs ran: its download, and the facts its steps added (window, split,
    typed output, watermark) as typed fields."""
    download = outcome.download
    extra = outcome.extra
    output: Path | Literal["-"] | str | None = None if download is None else download.target
    size = None if download is None else download.bytes
    digest = None if download is None else download.sha256
    if "output" in extra:  # a load with no file: the staging CSV is gone, and no file is named
        output = None if extra["output"] is None else _target(extra["output"])
    size = extra.get("bytes", size)
    digest = extra.get("sha256", digest)
    windows = tuple(_window(w) for w in extra.get("windows") or ())
    export_id: str | None = extra.get("export_id", outcome.export_id)
    if export_ids is None:
        export_ids = [w.export_id for w in windows if w.export_id] if "windows" in extra else [outcome.export_id]
    return ExportResult(
        export_ids=tuple(export_ids),
        output=output,
        rows=None if download is None else download.rows,
        bytes=size,
        sha256=digest,
        seconds=outcome.seconds,
        api_calls=outcome.calls,
        command=command,
        export_id=export_id,
        exported_object=outcome.exported_object,
        status=outcome.status,
        span=Span(extra.get("since"), extra.get("until")) if any(k in extra for k in _SPAN) else None,
        split_by=extra.get("split_by"),
        windows=windows,
        typed=_typed(extra) if "format" in extra else None,
        watermark=_watermark(extra) if "state" in extra else None,
        more={key: value for key, value in extra.items() if key not in _KNOWN},
    )


def _target(value: Any) -> Path | Literal["-"] | str:
    """A path, `-`, or (a str) a bucket URL that a Path would fold (`s3://b/k` -> `s3:/b/k`)."""
    text = str(value)
    return "-" if text == "-" else text if "://" in text else Path(text)


def _window(value: Mapping[str, Any]) -> WindowSummary:
    return WindowSummary(
        since=value.get("since"),
        until=value.get("until"),
        export_id=value.get("export_id"),
        rows=int(value.get("rows") or 0),
        bytes=int(value.get("bytes") or 0),
        sha256=str(value.get("sha256") or ""),
        reused=bool(value.get("reused")),
    )


def _typed(extra: Mapping[str, Any]) -> TypedFacts:
    csv = extra.get("csv")
    return TypedFacts(
        format=extra.get("format"),
        csv=None if csv is None else CsvFacts(csv.get("bytes"), csv.get("rows"), csv.get("sha256")),
        rows_written=extra.get("rows_written"),
        unparsed_rows=extra.get("unparsed_rows"),
        into=extra.get("into"),
    )


def _watermark(extra: Mapping[str, Any]) -> Watermark:
    return Watermark(
        state=str(extra["state"]),
        state_key=str(extra.get("state_key")),
        previous_watermark=extra.get("previous_watermark"),
        watermark=str(extra.get("watermark")),
    )


def downloaded(
    export: Mapping[str, Any], download: _Download, *, export_id: str, api_calls: int, seconds: float
) -> ExportResult:
    """The result of downloading an existing export (`exportctl download`, `exportctl.download()`)."""
    status, exported_object = export.get("status"), export.get("exported_object")
    return ExportResult(
        export_ids=(export_id,),
        output=download.target if download.url is None else download.url,
        rows=download.rows,
        bytes=download.bytes,
        sha256=download.sha256,
        seconds=seconds,
        api_calls=api_calls,
        command="download",
        export_id=export_id,
        exported_object=None if exported_object is None else str(exported_object),
        status=None if status is None else str(status),
    )
