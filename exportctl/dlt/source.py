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
  `end_value` makes a backfill of [initial_value, end_value) that leaves the state as it was (dlt's rule);
- or, with `cursor="updated_at"`, on `updated_at` for the objects whose export documents that filter and
  exports the field (orders, vouchers, customers; request/cursor.py): a run exports the records changed in
  [last value - lag, now), merged on the key, with dlt's `lag` (default 10 minutes, as `--lookback`: records
  changed while the last run exported, clock skew). Other objects keep `created_at`.

dlt, pyarrow and the HTTP client are imported when the source is made, never by `import exportctl.dlt`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
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
    cursor: str = CURSOR,
    lag: float | str | timedelta | None = None,
) -> Any:
    """A dlt source with one resource per object in `objects` (commands: `voucher`, `order`...; default all).

    `settings`: the credentials (default: the environment and profile, as `exportctl.export`); `fields`:
    the fields to export per object (default: every field of the object); `initial_value` / `end_value`:
    the creation-time window of the first run / of a backfill (ISO text or datetime); `split_by` (`day`,
    `week`, `month`): a windowed run exports one window at a time, joined (`--split-by`), for backfills
    larger than one export should be. `cursor="updated_at"` follows the last change of the objects that have
    it (named in `objects`: each must), re-reading `lag` (seconds, a timedelta or '10m'; default 10 minutes)
    before the last value; it cannot be combined with `split_by`.
    """
    from exportctl.request.cursor import check_cursor, check_lookback, effective_lookback

    dlt = require_dlt()
    cursor = check_cursor(cursor, "cursor")
    lag_seconds = effective_lookback(cursor, None if lag is None else check_lookback(lag, "lag"))
    chosen = [get_object(name) for name in (objects or [obj.command for obj in EXPORT_OBJECTS])]
    wanted = {obj.command: list((fields or {}).get(obj.command) or [f.name for f in obj.fields]) for obj in chosen}
    for obj in chosen:
        merge_key(obj, wanted[obj.command])  # refused offline, before anything runs
    if cursor != CURSOR and split_by is not None:
        raise UsageError(f"split_by cuts created_at windows; cursor={cursor!r} cannot be combined with it.")
    follows = {obj.command: _cursor_of(obj, wanted[obj.command], cursor, named=objects is not None) for obj in chosen}
    if batch_rows < 1:
        raise UsageError(f"batch_rows must be at least 1, not {batch_rows}.")
    if split_by is not None:
        from exportctl.request.windows import check_split_unit

        check_split_unit(split_by, "split_by")

    def voucherify() -> list[Any]:
        return [
            _resource(
                dlt,
                obj,
                wanted[obj.command],
                settings,
                (initial_value, end_value),
                split_by,
                batch_rows,
                (follows[obj.command], lag_seconds),
            )
            for obj in chosen
        ]

    return dlt.source(name="voucherify", max_table_nesting=0)(voucherify)()


def _cursor_of(obj: ExportObject, fields: Sequence[str], cursor: str, *, named: bool) -> str:
    """The cursor `obj`'s resource follows: `cursor` where the object documents it and exports it, else
    created_at (UsageError for an object named in `objects` that cannot follow it)."""
    if cursor == CURSOR:
        return CURSOR
    from exportctl.request.cursor import cursor_filter, cursor_objects

    if cursor_filter(obj, cursor) is not None and obj.get_field(cursor) is not None:
        if cursor not in fields:
            raise UsageError(f"cursor={cursor!r}: the fields of {obj.command} must include {cursor}.")
        return cursor
    if named:
        able = [c for c in cursor_objects(cursor) if get_object(c).get_field(cursor) is not None]
        raise UsageError(
            f"cursor={cursor!r}: {obj.command} exports cannot follow {cursor} (no documented filter and field); "
            f"the objects that can: {', '.join(able)}."
        )
    return CURSOR


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
    follow: tuple[str, float] = (CURSOR, 0.0),
) -> Any:
    initial_value, end_value = window
    cursor, lag = follow
    key = list(merge_key(obj, fields))
    options: dict[str, Any] = {
        "name": default_table(obj.command),
        "primary_key": key,
        "write_disposition": "merge",
        "columns": column_hints(obj, fields),
    }
    if created_filter(obj) is None or cursor not in fields:  # no window: every run exports all, merged
        return dlt.resource(lambda: _batches(obj, fields, settings, (None, None), None, batch_rows), **options)
    lagged: dict[str, Any] = {"lag": lag} if cursor != CURSOR and lag else {}

    def rows(
        state: Any = dlt.sources.incremental(
            cursor, initial_value=_instant(initial_value), end_value=_instant(end_value), **lagged
        ),
    ) -> Iterator[Any]:
        window = (state.last_value, state.end_value)  # dlt's last value less the lag
        chosen = split_by if window[0] is not None else None
        yield from _batches(obj, fields, settings, window, chosen, batch_rows, cursor)

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
    cursor: str = CURSOR,
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
        if cursor == CURSOR:
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
        else:  # the window on the cursor's own filter, as --since-last --cursor sends it
            export(
                obj.command,
                settings=settings,
                fields=fields,
                format="parquet",
                output=target,
                filters=_window_filters(obj, cursor, since, until),
            )
        reader = parquet.ParquetFile(target)
        for batch in reader.iter_batches(batch_size=batch_rows):
            yield pa.Table.from_batches([batch])


def _window_filters(obj: ExportObject, cursor: str, since: date | None, until: date | None) -> dict[str, Any] | None:
    """The API filters of [since, until) on `cursor`'s filter (an open end left out)."""
    from exportctl.request.cursor import require_cursor_filter
    from exportctl.request.windows import Window, filters_with_window, parse_instant

    window = Window(
        None if since is None else parse_instant(since, "initial_value"),
        None if until is None else parse_instant(until, "end_value"),
    )
    return filters_with_window(None, require_cursor_filter(obj, cursor, "cursor"), window)
