"""Header styles: the API's readable titles (`Voucher Type`), or the field names (`voucher_type`).

The API writes a title per column, the one the schema table gives each field (`Field.title`:
`Redemption Limit` for `redemption_quantity`). For `fields` the titles are mapped back to the names: the
requested fields when `--fields` was given, else every field the object can export (its defaults first),
so the columns keep the order the API wrote them in. A title that maps to no known field is left as
written rather than guessed: that keeps the columns `metadata` expands into, headed by each metadata key.

Standard library only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable

from exportctl.schema import ExportObject


def title_map(obj: ExportObject, fields: Iterable[str] | None) -> dict[str, str]:
    """Title -> field name, for the requested fields or, without them, for all of the object's fields."""
    names = list(fields) if fields is not None else [*obj.default_fields, *obj.field_names]
    if fields is None:
        names += [f.name for f in obj.api_only_fields]
    mapping: dict[str, str] = {}
    for name in names:
        # The first name wins: requested and default fields come before the rest.
        mapping.setdefault(obj.title_of(name), name)
    return mapping


def rename_header_line(line: bytes, mapping: dict[str, str]) -> bytes:
    """One CSV header row (with its line ending; its cells may hold line breaks, quotes, commas) with every
    known title replaced by its field name."""
    body = line.rstrip(b"\r\n")
    ending = line[len(body) :]
    text = body.decode("utf-8-sig" if body.startswith(b"\xef\xbb\xbf") else "utf-8")
    cells = next(csv.reader(io.StringIO(text, newline="")), [])  # a cell may hold a line break
    out = io.StringIO()
    # `\r\n` as the writer's terminator: Python 3.11 quotes only cells holding its characters (a cell with a
    # line break must stay quoted), then it is taken off for the header's own ending.
    csv.writer(out, lineterminator="\r\n").writerow(mapping.get(cell, cell) for cell in cells)
    return out.getvalue()[:-2].encode("utf-8") + ending


def header_rewriter(
    obj: ExportObject, fields: Iterable[str] | None, style: str | None
) -> Callable[[bytes], bytes] | None:
    """The first-line hook for `jobs.download.download_export`, or None when the API's header is kept."""
    if style != "fields":
        return None
    mapping = title_map(obj, fields)
    return lambda line: rename_header_line(line, mapping)
