"""Parquet (`--format parquet`): DuckDB reads and types the CSV, pyarrow writes the file.

DuckDB runs `formats.duckdb_sql`'s typed SELECT over its own CSV reader (parallel, no Python per row) and
hands the result over as Arrow record batches, one at a time; pyarrow's ParquetWriter writes them with the
issue's types, which DuckDB's own Parquet writer cannot all give (it writes instants as microseconds):

| kind | Parquet (Arrow) type |
|---|---|
| integer (amounts, counts) | int64 |
| double | double |
| boolean | bool |
| timestamp | timestamp[ms, tz=UTC] |
| date | date32 |
| JSON (details, metadata) | string: the JSON text as the API wrote it |
| string, and `_unparsed` | string (`_unparsed`: a JSON object {column: text}, null when empty) |

Memory stays bounded whatever the size: DuckDB streams (and spills, when it must, to the run's own
private directory from `duckdb_sql.private_source`, beside the CSV), batches are written as they come.
The file is written to a temporary file beside the target (mkstemp: O_EXCL, a random name), then put in
place by `files.atomic` (fsync, rename, no-clobber without --force), or copied to standard output.
`--unparsed fail` stops at the first batch holding an `_unparsed` value; the exact record and column
then come from `formats.csv_source.first_unparsed`.

Two guesses keep DuckDB on its fast way, and each is checked, so the file is the same either way: the
metadata columns' kinds are guessed from the first records (`speculate.sql_guesses`) instead of a pass
over the file, and a batch holding a value that does not fit a guess starts the file again with the
kinds of the full pass; the CSV is read with DuckDB's default line size (split between its threads), and a
record over it starts the file again with room for it (`duckdb_sql.too_long`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from exportctl.errors import OutputError
from exportctl.files.targets import Target
from exportctl.formats.csv_layout import missing_rows, readable
from exportctl.formats.csv_source import Unparsed, check, first_unparsed, header_of, records
from exportctl.formats.extra import require_duckdb, require_pyarrow
from exportctl.formats.speculate import KindChanged, sql_guesses
from exportctl.formats.types import UNPARSED, Column, Kind, columns_for
from exportctl.masking import printable
from exportctl.schema import ExportObject

if TYPE_CHECKING:
    from exportctl.formats.written import Written

Guess = tuple[list[Column], list[int]]  # speculate.sql_guesses: guessed columns, and those to check
BATCH_ROWS = 122_880  # DuckDB's own row group size: the file compresses as well as DuckDB's own
COPY_CHUNK = 1024 * 1024


def arrow_schema(columns: Iterable[Column]) -> Any:
    """The Arrow schema of the typed columns and `_unparsed`."""
    pa = require_pyarrow("--format parquet")
    types = {
        Kind.STRING: pa.string(),
        Kind.INTEGER: pa.int64(),
        Kind.DOUBLE: pa.float64(),
        Kind.BOOLEAN: pa.bool_(),
        Kind.TIMESTAMP: pa.timestamp("ms", tz="UTC"),
        Kind.DATE: pa.date32(),
        Kind.JSON: pa.string(),
    }
    fields = [pa.field(column.name, types[column.kind or Kind.STRING]) for column in columns]
    return pa.schema([*fields, pa.field(UNPARSED, pa.string())])


def write_parquet(
    obj: ExportObject,
    csv_path: Path,
    target: Target,
    *,
    fields: Iterable[str] | None,
    header_style: str,
    fail: str | None,
    force: bool,
    stdout: BinaryIO | None = None,
) -> Written:
    """Write the CSV at `csv_path` (an export of `obj`) as Parquet at `target` (or "-")."""
    from exportctl.formats.written import Written, write_chunks

    require_duckdb("--format parquet")
    require_pyarrow("--format parquet", module="pyarrow.parquet")
    directory = target.parent if isinstance(target, Path) else Path.cwd()
    from exportctl.formats import duckdb_sql
    from exportctl.formats.duckdb_sql import private_source, signals_held

    made: list[Path] = []
    try:
        # mkstemp: O_EXCL under a random name no other run computes, removed on every way out (finally),
        # noted while stop signals wait so that an interrupt cannot leave it behind.
        with signals_held():
            handle, name = tempfile.mkstemp(prefix=".exportctl-", suffix=".parquet", dir=directory)
            made.append(Path(name))
        os.close(handle)
        temporary = made[0]
        header = header_of(csv_path)
        columns = columns_for(obj, header, fields, style=header_style)
        rows = unparsed_rows = 0
        # The file itself, or a copy DuckDB reads as Python does (csv_layout), by a path that is no pattern.
        with readable(csv_path) as layout, private_source(layout.path) as source:
            # DuckDB spills into the run's own private directory (its spill files have fixed names).
            long, guess = False, _guess(csv_path, columns)
            while True:  # each way round clears one of long, guess: at most three
                try:
                    rows, unparsed_rows = _write(
                        csv_path, source, columns, source.parent, temporary, fail, long=long, guess=guess
                    )
                    break
                except duckdb_sql.LongRecord:
                    long = True  # a record over DuckDB's default line size: read again with room (one thread)
                except KindChanged:
                    guess = None  # a value proved a guessed kind wrong: the kinds of a full pass
        if columns and rows != layout.records:
            raise missing_rows(csv_path, layout.records, rows)
        hashed = write_chunks(target, _chunks(temporary), force=force, stdout=stdout)
    finally:
        for leftover in made:
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return Written(rows, unparsed_rows, hashed.bytes, hashed.digest.hexdigest())


def _write(
    csv_path: Path,
    source: Path,
    columns: list[Column],
    directory: Path,
    temporary: Path,
    fail: str | None,
    *,
    long: bool,
    guess: Guess | None,
) -> tuple[int, int]:
    """Write the typed rows of the CSV (DuckDB reads it by `source`) to `temporary`; (rows, unparsed rows).

    `duckdb_sql.LongRecord` when a record is over DuckDB's default line size and not `long`; KindChanged when
    a value proves a `guess` wrong."""
    pq = require_pyarrow("--format parquet", module="pyarrow.parquet")
    rows = unparsed_rows = 0
    batches, typed = _typed_batches(csv_path, source, columns, directory, long, guess)
    try:
        schema = arrow_schema(typed)
        with pq.ParquetWriter(str(temporary), schema, compression="zstd") as writer:
            for batch in batches:
                table = batch.cast(schema)
                bad = len(table) - table.column(UNPARSED).null_count
                if bad and fail is not None:
                    raise _failure(csv_path, typed, fail)
                rows += len(table)
                unparsed_rows += bad
                writer.write_table(table)
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # the DuckDB connection, before the source's directory goes
    return rows, unparsed_rows


def connect(duckdb: Any, spill: Path) -> Any:
    """The DuckDB connection of one conversion. Its progress bar is off: DuckDB prints it to standard output
    once a query runs 2 s, which `-o -` streams the Parquet file to (and a benchmark read as its answer)."""
    connection = duckdb.connect(config={"temp_directory": str(spill), "preserve_insertion_order": True})
    connection.execute("SET enable_progress_bar = false")
    return connection


def _guess(csv_path: Path, columns: list[Column]) -> Guess | None:
    """The inferred kinds guessed from the CSV's first records (speculate.sql_guesses), which spares DuckDB
    the pass over the whole file that fixes them; None when they cannot be guessed so."""
    rows = records(csv_path)
    try:
        next(rows, None)
        return sql_guesses(columns, rows)
    finally:
        rows.close()


def _typed_batches(
    csv_path: Path, source_path: Path, columns: list[Column], spill: Path, long: bool, guess: Guess | None
) -> tuple[Iterator[Any], list[Column]]:
    """DuckDB's typed SELECT of the CSV as Arrow tables of at most BATCH_ROWS rows, and the fixed columns.

    With a `guess`, the inferred kinds are its; a batch holding a value that does not fit a guessed kind
    raises KindChanged (before it is yielded)."""
    from exportctl.formats import duckdb_sql

    duckdb = require_duckdb("--format parquet")
    pa = require_pyarrow("--format parquet")
    pc = require_pyarrow("--format parquet", module="pyarrow.compute")
    if not columns:  # an empty file: no header row, no records
        return iter(()), []
    connection = connect(duckdb, spill)
    source = duckdb_sql.read_csv(source_path, len(columns), long_records=long)
    try:
        # Instants are read and written in UTC, whatever zone the machine is in.
        connection.execute("SET TimeZone = 'UTC'")
        typed = duckdb_sql.prepare(connection, columns if guess is None else guess[0], source)
        check = () if guess is None else guess[1]
        relation = connection.sql(duckdb_sql.typed_select(typed, source, check=check))
        # DuckDB 2 calls it to_arrow_reader, 1.x fetch_arrow_reader: a stream of record batches either way.
        stream = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
        reader = stream(BATCH_ROWS)
    except (duckdb.Error, RuntimeError) as exc:
        connection.close()
        if duckdb_sql.is_interrupt(exc):
            raise KeyboardInterrupt from None  # Ctrl-C or SIGTERM: the CLI exits 130/143
        if not isinstance(exc, duckdb.Error):
            raise
        raise _reader_error(csv_path, exc, long) from None

    def batches() -> Iterator[Any]:
        try:
            for batch in reader:
                table = pa.Table.from_batches([batch])
                if check:
                    last = table.num_columns - 1
                    if pc.any(table.column(last)).as_py():
                        raise KindChanged
                    table = table.remove_column(last)
                yield table
        except (duckdb.Error, RuntimeError) as exc:
            if duckdb_sql.is_interrupt(exc):
                raise KeyboardInterrupt from None
            if not isinstance(exc, duckdb.Error):
                raise
            raise _reader_error(csv_path, exc, long) from None
        finally:
            connection.close()

    return batches(), typed


def _reader_error(csv_path: Path, exc: Exception, long: bool) -> Exception:
    from exportctl.formats import duckdb_sql

    if not long and duckdb_sql.too_long(exc):
        return duckdb_sql.LongRecord()
    # The message every typed path gives for a CSV that is not well-formed, when Python's reader agrees.
    try:
        check(csv_path)
    except OutputError as malformed:
        return malformed
    first = printable(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    return OutputError(
        f"DuckDB cannot read the CSV {csv_path.name} as the header row says: {first[:300]}",
        hint="A record whose number of cells differs from the header row's cannot be typed; --format jsonl keeps "
        "such cells in _unparsed.",
    )


def _failure(csv_path: Path, columns: list[Column], what: str) -> Exception:
    found = first_unparsed(csv_path, columns)
    if found is None:  # DuckDB and types.py disagree: a bug, but the run still must not write the file
        found = Unparsed(0, "?", "value of its column", "?")
    return found.error(what)


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while block := handle.read(COPY_CHUNK):
            yield block
