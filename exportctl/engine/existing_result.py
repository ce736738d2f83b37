"""The typed results of commands on existing exports: `wait` (`WaitResult`) and `list` (`ListResult`).

`to_dict()` is the command's `--json` document (`exportctl wait --json`, `exportctl list --json`), the
value `exportctl.wait()` and `exportctl.list_exports()` return; `download` gives an `ExportResult`
(engine/result.py `downloaded`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from exportctl.engine.contract import blank
from exportctl.engine.result import Document, rounded


@dataclass(frozen=True)
class WaitResult(Document):
    """An existing export as the API answered it: `exportctl.wait()`'s value (once DONE) and the document of
    `exportctl wait --json` (`command` `status`: of `exportctl status --json`)."""

    export_id: str
    exported_object: str | None
    status: str | None
    export: Mapping[str, Any]  # the API's export object, download URL included
    api_calls: int
    seconds: float
    command: str = "wait"

    def to_dict(self) -> dict[str, Any]:
        return blank(
            self.command,
            export_id=self.export_id,
            exported_object=self.exported_object,
            status=self.status,
            seconds=rounded(self.seconds),
            api_calls=self.api_calls,
        ) | {"export": dict(self.export)}


@dataclass(frozen=True)
class ListResult(Document):
    """The exports on the server: `exportctl.list_exports()`'s value and `exportctl list --json`'s document."""

    exports: tuple[Mapping[str, Any], ...]  # the API's export objects that matched, in the API's order
    total: int | None  # all exports, as the API states it
    pages: int
    truncated: bool  # the API's last page was reached with more to read
    filters: Mapping[str, Any]
    api_calls: int
    seconds: float
    read: int = 0  # exports read, before filtering
    more: bool = False  # one page was read and the API has more

    def to_dict(self) -> dict[str, Any]:
        return blank("list", rows=len(self.exports), seconds=rounded(self.seconds), api_calls=self.api_calls) | {
            "total": self.total,
            "exports": [dict(export) for export in self.exports],
            "pages": self.pages,
            "truncated": self.truncated,
            "filters": dict(self.filters),
        }


class _Listing(Protocol):
    @property
    def exports(self) -> list[dict[str, Any]]: ...
    @property
    def total(self) -> int | None: ...
    @property
    def pages(self) -> int: ...
    @property
    def read(self) -> int: ...
    @property
    def truncated(self) -> bool: ...
    @property
    def more(self) -> bool: ...


def listed(listing: _Listing, filters: Mapping[str, Any], api_calls: int, seconds: float) -> ListResult:
    """The result of `exportctl list` and `exportctl.list_exports()` (a `jobs.listing.Listing`)."""
    return ListResult(
        exports=tuple(listing.exports),
        total=listing.total,
        pages=listing.pages,
        truncated=listing.truncated,
        filters=filters,
        api_calls=api_calls,
        seconds=seconds,
        read=listing.read,
        more=listing.more,
    )
