"""Convert a complete downloaded CSV into a typed file: `--format jsonl` (stdlib) or `--format parquet` (DuckDB).

The one entry point of the post-step's conversion (`jobs.typed_output`). The file is complete or absent:
written through `files.atomic` (temporary file, fsync, rename; no-clobber without --force), or streamed
to standard output for `-o -`. Its bytes and sha256 are those of the typed file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from exportctl.files.targets import STDOUT, Target
from exportctl.formats.csv_source import first_unparsed, guessed_columns, typed_columns
from exportctl.formats.written import Written, write_chunks
from exportctl.request.into import JSONL, PARQUET
from exportctl.schema import ExportObject


def convert_csv(
    obj: ExportObject,
    csv_path: Path,
    target: Target,
    *,
    output_format: str,
    fields: Iterable[str] | None,
    header_style: str,
    unparsed: str,
    force: bool,
    stdout: BinaryIO | None = None,
) -> Written:
    """Write the CSV at `csv_path` (an export of `obj`) as `output_format` at `target`."""
    what = f"--format {output_format} --unparsed fail"
    if output_format == PARQUET:
        from exportctl.formats.parquet import write_parquet

        return write_parquet(
            obj,
            csv_path,
            target,
            fields=fields,
            header_style=header_style,
            fail=what if unparsed == "fail" else None,
            force=force,
            stdout=stdout,
        )
    assert output_format == JSONL, output_format
    from exportctl.files.opening import is_stream_target
    from exportctl.formats.jsonl import Counts, jsonl_chunks
    from exportctl.formats.speculate import KindChanged

    fail = what if unparsed == "fail" else None
    if target != STDOUT and not is_stream_target(target):
        # One pass: inferred kinds guessed and checked as the records go; the file is thrown away and
        # written again with the kinds of a full pass in the rare case a guess turns out wrong. A large
        # CSV is cut into ranges typed on several CPUs first (jsonl_parallel.py): the same file, or None.
        from exportctl.formats.jsonl_parallel import jsonl_in_parts

        columns, guesses = guessed_columns(obj, csv_path, fields, header_style)
        written = jsonl_in_parts(csv_path, Path(target), columns, guesses, fail=fail, force=force)
        if written is not None:
            return written
        counts = Counts()
        try:
            chunks = jsonl_chunks(csv_path, columns, counts, fail=fail, watch=guesses.watch())
            hashed = write_chunks(target, chunks, force=force, stdout=stdout)
            return Written(counts.rows, counts.unparsed_rows, hashed.bytes, hashed.digest.hexdigest())
        except KindChanged:
            pass
    columns = typed_columns(obj, csv_path, fields, header_style)
    if fail is not None and target == STDOUT:
        # Rows on a stream cannot be taken back: find a value that does not fit before writing any.
        found = first_unparsed(csv_path, columns)
        if found is not None:
            raise found.error(fail)
    counts = Counts()
    hashed = write_chunks(target, jsonl_chunks(csv_path, columns, counts, fail=fail), force=force, stdout=stdout)
    return Written(counts.rows, counts.unparsed_rows, hashed.bytes, hashed.digest.hexdigest())
