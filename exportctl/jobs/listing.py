"""`exportctl list` as data: the exports on the server, filtered by status, object and creation time.

The API's `GET /v1/exports` takes only `limit`, `page` and `order`; the filters are applied here to what
it answers. `follow` reads every page (bounded by MAX_LIST_PAGES, so a server that never ends its list
cannot keep a run going forever); with the default newest-first order a `since` stops the reading at the
first page that reaches older exports. An export met twice (the list shifted while it was being read:
someone created one) is kept once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from exportctl.errors import NetworkError, ValidationError
from exportctl.masking import printable
from exportctl.schema import API_OBJECTS, BY_COMMAND, EXPORT_STATUSES
from exportctl.suggest import closest

if TYPE_CHECKING:
    from exportctl.client.api import ApiClient

# The API's `page` goes from 1 to 100 (the OpenAPI's ParameterPage): at 100 exports a page, the newest 10,000
# are all that its list reaches. The bound also stops a server that answers full pages forever.
MAX_LIST_PAGES = 100
PAGE_SIZE_FOLLOWING = 100
NEWEST_FIRST = (None, "-created_at")
# An exported object the dashboard made and this version does not know (api_log, product) is still a name.
_OBJECT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


@dataclass(frozen=True)
class ExportFilter:
    """Which exports to keep; an empty set keeps every value."""

    statuses: frozenset[str] = frozenset()
    objects: frozenset[str] = frozenset()
    since: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return bool(self.statuses or self.objects or self.since)

    def matches(self, export: dict[str, Any]) -> bool:
        if self.statuses and export.get("status") not in self.statuses:
            return False
        if self.objects and export.get("exported_object") not in self.objects:
            return False
        if self.since is not None:
            created = created_at(export)
            if created is None or created < self.since:
                return False
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "status": sorted(self.statuses) or None,
            "object": sorted(self.objects) or None,
            "since": self.since.isoformat().replace("+00:00", "Z") if self.since else None,
        }


def created_at(export: dict[str, Any]) -> dt.datetime | None:
    """An export's `created_at` as an aware datetime, or None when the server sent no readable one."""
    value = export.get("created_at")
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def parse_statuses(values: list[str] | None) -> frozenset[str]:
    """`--status done,error` as {'DONE', 'ERROR'}; ValidationError naming the statuses otherwise."""
    found: set[str] = set()
    for part in _parts(values):
        status = part.upper()
        if status not in EXPORT_STATUSES:
            raise ValidationError(
                f"Unknown export status '{printable(part)}' (--status).",
                valid=EXPORT_STATUSES,
                suggestion=closest(status, EXPORT_STATUSES),
            )
        found.add(status)
    return frozenset(found)


def parse_objects(values: list[str] | None) -> frozenset[str]:
    """`--object voucher-transactions,order` as the API's names; a name the dashboard may use passes as it is."""
    known = sorted(API_OBJECTS)
    found: set[str] = set()
    for part in _parts(values):
        if part in BY_COMMAND:
            found.add(BY_COMMAND[part].exported_object)
            continue
        if part in API_OBJECTS:
            found.add(part)
            continue
        near = closest(part, [*known, *BY_COMMAND])
        if near is not None or not _OBJECT_NAME.fullmatch(part):
            raise ValidationError(
                f"Unknown exported object '{printable(part)}' (--object).", valid=known, suggestion=near
            )
        found.add(part)
    return frozenset(found)


def _parts(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


@dataclass
class Listing:
    """What `list` found: the matching exports in the API's order, and how much of the list was read."""

    exports: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None  # as the API states it, all exports
    pages: int = 0
    read: int = 0  # exports read, before filtering
    truncated: bool = False  # MAX_LIST_PAGES was reached with more to read
    more: bool = False  # one page was read and the API has more


def list_exports(
    client: ApiClient,
    *,
    limit: int,
    page: int,
    order: str | None,
    follow: bool,
    matching: ExportFilter,
    max_pages: int | None = None,
) -> Listing:
    """One page of the list (`follow=False`) or all of it (at most `max_pages`, MAX_LIST_PAGES), filtered."""
    max_pages = MAX_LIST_PAGES if max_pages is None else max_pages
    listing = Listing()
    if not follow:
        answer = client.list_exports(limit=limit, page=page, order=order)
        _take(listing, answer, matching, set())
        listing.pages = 1
        listing.more = listing.total is not None and page * limit < listing.total
        return listing
    seen: set[str] = set()
    stop_early = matching.since is not None and order in NEWEST_FIRST
    for number, answer in _pages(client, limit=limit, order=order, max_pages=max_pages):
        listing.pages = number
        oldest = _take(listing, answer, matching, seen)
        if stop_early and oldest is not None and matching.since is not None and oldest < matching.since:
            return listing
        if number == max_pages:
            listing.truncated = listing.total is None or number * limit < listing.total
    return listing


def _pages(client: ApiClient, *, limit: int, order: str | None, max_pages: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """(page number, answer) for pages 1, 2, ... of the list, until a short or empty page, the `total` the API
    states, or `max_pages` pages: a server that always answers a full page cannot keep the loop going."""
    for page in range(1, max_pages + 1):
        answer = client.list_exports(limit=limit, page=page, order=order)
        yield page, answer
        exports = answer.get("exports")
        total = answer.get("total")
        if not isinstance(exports, list) or len(exports) < limit:
            return
        if isinstance(total, int) and not isinstance(total, bool) and page * limit >= total:
            return


def _take(listing: Listing, answer: dict[str, Any], matching: ExportFilter, seen: set[str]) -> dt.datetime | None:
    """Add a page's matching exports; the creation time of its last export (the oldest, newest first)."""
    exports = answer.get("exports")
    if not isinstance(exports, list):
        raise NetworkError(f"The API's list of exports has no `exports` array: {printable(repr(exports))[:200]}")
    total = answer.get("total")
    if isinstance(total, int) and not isinstance(total, bool):
        listing.total = total
    last: dt.datetime | None = None
    for export in exports:
        if not isinstance(export, dict):
            export = {"id": export}
        listing.read += 1
        key = export.get("id")
        if isinstance(key, str):
            if key in seen:
                continue
            seen.add(key)
        last = created_at(export) or last
        if matching.matches(export):
            listing.exports.append(export)
    return last
