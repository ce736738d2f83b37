"""`voucherify_source`: Voucherify's Export API as a dlt source, one resource per exported object.

Each resource runs one export through the library door (`exportctl.export`, `--format parquet`, into a private
temporary directory) and yields the Parquet file's row groups as Arrow tables, one at a time, so memory stays
bounded by a row group whatever the export's size. Each resource has:

- the table of the object (`voucher`, `gift_card_transactions`: request.into.default_table) and its primary
  key (warehouse/keys.py: `id`, or `code` for vouchers without it...), merged (`write_disposition="merge"`);
- column hints from the schema tables (formats/types.py's kinds): `timestamp` with time zone at millisecond
  precision, `date`, `bigint`, `double`, `bool`, `json` (JSON fields and `_unparsed`), `text`; metadata keys
  are typed by dlt from the Arrow types the values gave;
- an incremental cursor on `created_at` for the objects whose export filters on it: a run exports
  [last value, now), dlt drops the rows it has loaded already; `initial_value` starts the first run, and an
  `end_value` makes a backfill of [initial_value, end_value) that leaves the state as it was (dlt's rule).

dlt, pyarrow and the HTTP client are imported when the source is made, never by `import exportctl.dlt`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from exportctl.errors import UsageError
from exportctl.formats.types import KIND_OF, UNPARSED, Kind
from exportctl.request.into import default_table
from exportctl.request.windows import CREATED_FILTER, created_filter
from exportctl.schema import EXPORT_OBJECTS, ExportObject, get_object
from exportctl.settings import Settings
from exportctl.warehouse.keys import merge_key

CURSOR = CREATED_FILTER
BATCH_ROWS = 50_000  # rows per Arrow table handed to dlt
DLT_TYPES: dict[Kind, dict[str, Any]] = {
    Kind.STRING: {"data_type": "text"},
    Kind.INTEGER: {"data_type": "bigint"},
    Kind.DOUBLE: {"data_type": "double"},
    Kind.BOOLEAN: {"data_type": "bool"},
    Kind.TIMESTAMP: {"data_type": "timestamp", "precision": 3, "timezone": True},
    Kind.DATE: {"data_type": "date"},
    Kind.JSON: {"data_type": "json"},
}


def require_dlt() -> Any:
    import importlib

    try:
        return importlib.import_module("dlt")
    except ImportError:
        raise UsageError(
            "exportctl.dlt needs dlt, which is not installed: it comes with the optional extra 'dlt'.",
            hint="Install it with: pip install 'exportctl[dlt]'",
        ) from None


def voucherify_source(
    objects: Sequence[str] | None = None,
    *,
    settings: Settings | None = None,
    fields: Mapping[str, Sequence[str]] | None = None,
    initial_value: datetime | str | None = None,
    end_value: datetime | str | None = None,
    split_by: str | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Any:
    """A dlt source with one resource per object in `objects` (commands: `voucher`, `order`...; default all).

    `settings`: the credentials (default: the environment and profile, as `exportctl.export`); `fields`:
    the fields to export per object (default: every field of the object); `initial_value` / `end_value`:
    the creation-time window of the first run / of a backfill (ISO text or datetime); `split_by` (`day`,
    `week`, `month`): a windowed run exports one window at a time, joined (`--split-by`), for backfills
    larger than one export should be.
    """
    dlt = require_dlt()
    chosen = [get_object(name) for name in (objects or [obj.command for obj in EXPORT_OBJECTS])]
    wanted = {obj.command: list((fields or {}).get(obj.command) or [f.name for f in obj.fields]) for obj in chosen}
    for obj in chosen:
        merge_key(obj, wanted[obj.command])  # refused offline, before anything runs
    if batch_rows < 1:
        raise UsageError(f"batch_rows must be at least 1, not {batch_rows}.")
    if split_by is not None:
        from exportctl.request.windows import check_split_unit

        check_split_unit(split_by, "split_by")

    def voucherify() -> list[Any]:
        return [
            _resource(dlt, obj, wanted[obj.command], settings, (initial_value, end_value), split_by, batch_rows)
            for obj in chosen
        ]

    return dlt.source(name="voucherify", max_table_nesting=0)(voucherify)()


def column_hints(obj: ExportObject, fields: Sequence[str]) -> dict[str, dict[str, Any]]:
    """dlt's column hints of the typed fields among `fields`, and `_unparsed`."""
    hints: dict[str, dict[str, Any]] = {}
    for name in fields:
        found = obj.get_field(name)
        if found is not None and name in obj.accepted_field_names and name != "metadata":
            hints[name] = dict(DLT_TYPES[KIND_OF[found.type]])
    hints[UNPARSED] = dict(DLT_TYPES[Kind.JSON])
    return hints


def _resource(
    dlt: Any,
    obj: ExportObject,
    fields: list[str],
    settings: Settings | None,
    window: tuple[datetime | str | None, datetime | str | None],
    split_by: str | None,
    batch_rows: int,
) -> Any:
    initial_value, end_value = window
    key = list(merge_key(obj, fields))
    options: dict[str, Any] = {
        "name": default_table(obj.command),
        "primary_key": key,
        "write_disposition": "merge",
        "columns": column_hints(obj, fields),
    }
    if created_filter(obj) is None or CURSOR not in fields:  # no window: every run exports all, merged
        return dlt.resource(lambda: _batches(obj, fields, settings, (None, None), None, batch_rows), **options)

    def rows(
        cursor: Any = dlt.sources.incremental(
            CURSOR, initial_value=_instant(initial_value), end_value=_instant(end_value)
        ),
    ) -> Iterator[Any]:
        window = (cursor.last_value, cursor.end_value)
        yield from _batches(obj, fields, settings, window, split_by if window[0] is not None else None, batch_rows)

    return dlt.resource(rows, **options)


def _instant(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    from exportctl.request.values import checked_instant

    return checked_instant(value, "initial_value/end_value")


def _batches(
    obj: ExportObject,
    fields: list[str],
    settings: Settings | None,
    window: tuple[date | None, date | None],
    split_by: str | None,
    batch_rows: int,
) -> Iterator[Any]:
    """The export of [since, until) (`window`; one export per `split_by` window, joined) as Arrow tables of at
    most `batch_rows` rows, read from its Parquet file batch by batch."""
    since, until = window
    from exportctl.formats.extra import require_pyarrow
    from exportctl.library import export

    pa = require_pyarrow("exportctl.dlt")
    parquet = require_pyarrow("exportctl.dlt", module="pyarrow.parquet")
    with tempfile.TemporaryDirectory(prefix="exportctl-dlt-") as directory:
        target = Path(directory) / f"{default_table(obj.command)}.parquet"
        export(
            obj.command,
            settings=settings,
            fields=fields,
            format="parquet",
            output=target,
            since=since,
            until=until,
            split_by=split_by,
        )
        reader = parquet.ParquetFile(target)
        for batch in reader.iter_batches(batch_size=batch_rows):
            yield pa.Table.from_batches([batch])
