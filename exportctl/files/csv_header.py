"""Header styles and the header -> field mapping: which header cell is which field.

The API writes a title per column, the one the schema table gives each field (`Field.title`:
`Redemption Limit` for `redemption_quantity`); the dashboard writes its own labels for a few
(`Field.aliases`: `Is referral code?`). `match_header` says which cell is which field, for every
consumer of a header (`--headers fields` here, the typed outputs and loads in `formats.types`), in two passes:

1. **Exact**: a cell equal to a candidate field's title or alias (`api` style), or to its name (`fields`
   style, as `--headers fields` writes it), is that field. Every such cell is, repeats included.
2. **Tolerant**: a cell left over whose `title_key` (ASCII letters and digits, lower case: `Is referral
   code?`, `IS_REFERRAL_CODE` and `is-referral-code` are all `isreferralcode`) is the key of exactly one
   candidate field's name, title or alias is that field, but only if no cell has named it yet: the first
   such cell takes it, in header order. A key shared by two candidates (an ambiguous cell), a field named
   already (the metadata key `code` beside the title `Code`), and a cell with a control character or
   anything but printable ASCII (no key at all) name no field.

The candidates are the requested fields when `--fields` was given (a metadata key `Value` stays a metadata
column when `value` was not requested), else every field the object can export, its defaults first.

A cell that names no field stays a column of its own, as written: that keeps the columns `metadata`
expands into, headed by each metadata key. Written as a field name by `--headers fields`, such a cell keeps
its text, except when that text is the name of a field of the same header (`code` beside `Code`): then it is
written `metadata.<cell>`, as the typed outputs name it, so that the file read back is the same columns.

Standard library only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence

from exportctl.schema import ExportObject

METADATA_PREFIX = "metadata."


def title_key(text: str) -> str | None:
    """`text` without case and punctuation (`Is referral code?` -> `isreferralcode`), for the tolerant pass;
    None for a text that should only ever match exactly: empty once cleaned, or holding anything but
    printable ASCII (a control character, a zero-width space, a look-alike letter)."""
    if not text.isascii() or not text.isprintable():
        return None
    key = "".join(char for char in text.lower() if char.isalnum())
    return key or None


def candidate_fields(obj: ExportObject, fields: Iterable[str] | None) -> list[str]:
    """The fields a header may name: the requested ones, or without them every field (defaults first)."""
    if fields is not None:
        return list(dict.fromkeys(fields))
    return list(dict.fromkeys([*obj.default_fields, *obj.accepted_field_names]))


def match_header(
    obj: ExportObject, header: Sequence[str], fields: Iterable[str] | None, style: str | None
) -> list[str | None]:
    """The field each header cell names, None for a cell that names none (see the module's text)."""
    candidates = candidate_fields(obj, fields)
    exact: dict[str, str] = {}
    tolerant: dict[str, set[str]] = {}
    for name in candidates:
        found = obj.get_field(name)
        title = obj.title_of(name)
        aliases = found.aliases if found is not None else ()
        spellings = [name] if style == "fields" else [title, *aliases]
        for spelling in spellings:
            exact.setdefault(spelling, name)  # the first candidate wins: requested and defaults come first
        for spelling in (name, title, *aliases):
            key = title_key(spelling)
            if key is not None:
                tolerant.setdefault(key, set()).add(name)
    matched: list[str | None] = [exact.get(cell) for cell in header]
    named = {name for name in matched if name is not None}
    for i, cell in enumerate(header):
        if matched[i] is not None:
            continue
        key = title_key(cell)
        owners = tolerant.get(key, set()) if key is not None else set()
        if len(owners) == 1:
            (name,) = owners
            if name not in named:
                matched[i] = name
                named.add(name)
    return matched


def field_header(header: Sequence[str], matched: Sequence[str | None]) -> list[str]:
    """The `--headers fields` row: each field's name, each other cell as written unless it is the name of a
    field of this header (then `metadata.<cell>`, as the typed outputs name it)."""
    names = {name for name in matched if name is not None}
    return [
        name if name is not None else f"{METADATA_PREFIX}{cell}" if cell in names else cell
        for cell, name in zip(header, matched, strict=True)
    ]


def _cells(line: bytes) -> tuple[list[str], bytes]:
    body = line.rstrip(b"\r\n")
    ending = line[len(body) :]
    text = body.decode("utf-8-sig" if body.startswith(b"\xef\xbb\xbf") else "utf-8")
    return next(csv.reader(io.StringIO(text, newline="")), []), ending  # a cell may hold a line break


def _row(cells: Iterable[str], ending: bytes) -> bytes:
    out = io.StringIO()
    # `\r\n` as the writer's terminator: Python 3.11 quotes only cells holding its characters (a cell with a
    # line break must stay quoted), then it is taken off for the header's own ending.
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()[:-2].encode("utf-8") + ending


def rename_header_line(line: bytes, mapping: dict[str, str]) -> bytes:
    """One CSV header row (with its line ending; its cells may hold line breaks, quotes, commas) with every
    title in `mapping` replaced by its field name."""
    cells, ending = _cells(line)
    return _row((mapping.get(cell, cell) for cell in cells), ending)


def fields_header_line(line: bytes, obj: ExportObject, fields: Iterable[str] | None) -> bytes:
    """One CSV header row in the `fields` style: `match_header` on the API's titles, then `field_header`."""
    cells, ending = _cells(line)
    return _row(field_header(cells, match_header(obj, cells, fields, "api")), ending)


def header_rewriter(
    obj: ExportObject, fields: Iterable[str] | None, style: str | None
) -> Callable[[bytes], bytes] | None:
    """The first-line hook for `jobs.download.download_export`, or None when the API's header is kept."""
    if style != "fields":
        return None
    requested = list(fields) if fields is not None else None
    return lambda line: fields_header_line(line, obj, requested)
