"""Typed outputs: the CSV goes to a staging file, then ONE post-step converts it (--format) or loads it (--into).

The download stays exactly what it is for a CSV export (complete or nothing, sha256, rows, resume). When
the run asks for `--format jsonl|parquet` or `--into`, the CSV is saved to a hidden staging file instead
of the target, and once it is complete `post_step` runs on it:

- convert: the typed file is written at the target (`formats.convert`, through `files.atomic`: a temporary
  file, fsync, rename), or to standard output for `-o -`;
- load: the rows are loaded into the `--into` table (`load_into`, the warehouse engines).

The staging file lives next to the target (`.NAME.RANDOM.staging.csv`), or next to the database for
`--into` without `-o` (`.DB.TABLE.RANDOM.staging.csv`); with `-o -` it lives in the output directory (or
the current one). RANDOM is `secrets.token_hex(8)`, drawn once per run: no other run can compute the
name, so two runs into one target never read, replace or remove each other's CSV. A retried download
within the run continues the same `.part`; a run that ends any other way (success, error, Ctrl-C,
SIGTERM) removes its staging file and its `.part` (`StagingFiles.remove`), so nothing is resumed from
one run to the next except a split export's windows, which keep the stable name `.NAME.staging.csv` for
their `TARGET.parts/` and manifest (`unique=False`). With `--into` and `-o FILE` in the default
`--format csv`, the CSV is downloaded to FILE itself and loaded from there.

For an incremental run the post-step runs inside the window's run, so the watermark moves only after it
succeeded (`jobs.execute._execute_incremental`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exportctl.files.targets import Target, check_target
from exportctl.request.into import CSV, Into
from exportctl.request.model import ExportRequest, RunOptions

if TYPE_CHECKING:
    from exportctl.events import EventHandler
    from exportctl.jobs.single import ExportOutcome

STAGING_SUFFIX = ".staging.csv"


def is_typed(options: RunOptions) -> bool:
    """Whether the run has a post-step: a typed format or a database to load into."""
    return options.format != CSV or options.into is not None


def keeps_file(options: RunOptions) -> bool:
    """Whether the run writes a file (or standard output): always, except `--into` without `-o`."""
    return options.into is None or options.output is not None


def stages(options: RunOptions) -> bool:
    """Whether the CSV is downloaded to a staging file rather than to the target itself."""
    return options.format != CSV or (options.into is not None and not keeps_file(options))


class StagingFiles:
    """The staging files one run handed out, removed with their `.part` files on every way out."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def add(self, path: Path) -> Path:
        self.paths.append(path)
        return path

    def remove(self) -> None:
        from exportctl.files.atomic import PART_INFO_SUFFIX, part_path

        for path in self.paths:
            for leftover in (path, part_path(path), path.with_name(path.name + PART_INFO_SUFFIX)):
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    leftover.unlink()


def staging_path(options: RunOptions, final: Target | None, command: str, *, unique: bool = True) -> Path:
    """Where the CSV is staged: beside the target, beside the database, or (for stdout) in the output directory;
    under a name of this run's own (`unique`), or the stable one a split export resumes its windows by."""
    import secrets

    token = f".{secrets.token_hex(8)}" if unique else ""
    if isinstance(final, Path):
        return final.with_name(f".{final.name}{token}{STAGING_SUFFIX}")
    if final is None:
        into = options.into
        assert into is not None  # keeps_file is False only with --into
        if into.server:  # a database server: the output directory (or the current one)
            directory = Path(options.output_dir or ".").expanduser()
            return directory / f".exportctl-{into.table}{token or f'-{os.getpid()}'}{STAGING_SUFFIX}"
        return into.path.with_name(f".{into.path.name}.{into.table}{token}{STAGING_SUFFIX}")
    directory = Path(options.output_dir or ".").expanduser()
    return directory / f".exportctl-{command}-stdout{token or f'-{os.getpid()}'}{STAGING_SUFFIX}"


def download_target(
    options: RunOptions,
    command: str,
    final: Target | Callable[[str], Target] | None,
    *,
    unique: bool = True,
    made: StagingFiles | None = None,
) -> Target | Callable[[str], Target]:
    """What the download writes: the target itself, or (for a post-step) the staging file, noted in `made`.

    A target named after the export id is checked once the id is known, as the download checks its own.
    """
    if not stages(options):
        assert final is not None
        return final
    files = made if made is not None else StagingFiles()
    if callable(final):
        resolve = final

        def staged(export_id: str) -> Target:
            resolved = resolve(export_id)
            check_target(resolved, options.force)
            return files.add(staging_path(options, resolved, command, unique=unique))

        return staged
    return files.add(staging_path(options, final, command, unique=unique))


@dataclass(frozen=True)
class PostStep:
    """Everything the post-step needs: which CSV, of which request, to which file and/or table."""

    request: ExportRequest
    options: RunOptions
    csv: Path  # the complete CSV, as downloaded (staged, or the -o CSV itself)
    target: Target | None  # the typed file (or "-"); None when nothing but a table is written
    header_style: str  # "api" or "fields": how the CSV's header row names its columns
    on_event: EventHandler
    rows: int = 0  # the CSV's records, as the download counted them

    @property
    def into(self) -> Into | None:
        return self.options.into


def unstaged_hint(hint: str | None) -> str | None:
    """A resume hint that names the staging file, pointed at a CSV of the user's own instead.

    `exportctl download ID -o .x.jsonl.staging.csv` would save to a hidden file no post-step converts.
    """
    if hint is None or STAGING_SUFFIX not in hint:
        return hint
    import re

    suffix = re.escape(STAGING_SUFFIX)
    pointed = re.sub(rf"-o (?:'[^']*{suffix}'|\S*{suffix})", "-o FILE.csv", hint)
    return pointed + " (that saves the CSV; run this command again for the typed output)"


def planned_columns(request: ExportRequest) -> list[dict[str, str]]:
    """The typed columns a run will write, known offline: `{"name", "type"}` per requested (or default) field.

    `metadata` becomes one column per key, whose kinds are inferred from the data (`"metadata.*"`,
    `"inferred"`), as are prefixed fields (`metadata.locale`) and fields the tables do not type.
    """
    from exportctl.formats.types import KIND_OF, UNPARSED

    obj = request.obj
    typed: list[dict[str, str]] = []
    for name in request.fields or obj.default_fields:
        found = obj.get_field(name)
        if name == "metadata":
            typed.append({"name": "metadata.*", "type": "inferred"})
        elif found is None or (name not in obj.field_names and name not in {f.name for f in obj.api_only_fields}):
            typed.append({"name": name, "type": "inferred"})
        else:
            typed.append({"name": name, "type": KIND_OF[found.type].value})
    return [*typed, {"name": UNPARSED, "type": "json"}]


def dry_run_facts(request: ExportRequest, options: RunOptions) -> dict[str, Any]:
    """What --dry-run adds for a typed output: the format, the table, the typed columns (empty for a CSV)."""
    if not is_typed(options):
        return {}
    facts: dict[str, Any] = {"format": options.format}
    if options.into is not None:
        facts["into"] = options.into.to_json()
    facts["columns"] = planned_columns(request)
    return facts


def post_step(step: PostStep) -> dict[str, Any]:
    """Convert and/or load `step.csv`; the facts for the `--json` summary (`format`, `into`)."""
    facts: dict[str, Any] = {}
    options = step.options
    if options.format != CSV and step.target is not None:
        facts.update(convert(step))
    if options.into is not None:
        facts["into"] = load_into(step)
    return facts


def convert(step: PostStep) -> dict[str, Any]:
    """Write the typed file; `{"format", "rows_written", "unparsed_rows"}` plus the file's bytes and sha256."""
    from exportctl.errors import InterruptedByUser
    from exportctl.events import Converted

    assert step.target is not None
    started = time.monotonic()
    try:
        # Imported inside: a signal while DuckDB and pyarrow load is an interrupted conversion too.
        from exportctl.formats.convert import convert_csv

        written = convert_csv(
            step.request.obj,
            step.csv,
            step.target,
            output_format=step.options.format,
            fields=step.request.fields,
            header_style=step.header_style,
            unparsed=step.options.unparsed,
            force=step.options.force,
        )
    except KeyboardInterrupt:
        raise InterruptedByUser(
            f"Interrupted after the download, while writing {step.target}: it was not written.",
            hint="Run the same command again.",
        ) from None
    step.on_event(
        Converted(
            str(step.target),
            step.options.format,
            written.rows,
            written.bytes,
            written.unparsed_rows,
            time.monotonic() - started,
        )
    )
    return {
        "format": step.options.format,
        "rows_written": written.rows,
        "unparsed_rows": written.unparsed_rows,
        "bytes": written.bytes,
        "sha256": written.sha256,
    }


def load_into(step: PostStep) -> dict[str, Any]:
    """Load `step.csv` into the `--into` table (exportctl.warehouse, one transaction); the `--json` facts:
    engine, path, table, rows_loaded, inserted, updated, unchanged, unparsed_rows, columns_added, table_created.

    Ctrl-C (or SIGTERM) during the load rolls it back: the table is as it was, and nothing moves a watermark.
    """
    from exportctl.errors import InterruptedByUser
    from exportctl.events import Loaded, Loading

    into = step.into
    assert into is not None
    started = time.monotonic()
    try:
        step.on_event(Loading(str(into), step.rows))
        from exportctl.warehouse.load import load_into as load  # inside: a signal may come while DuckDB loads

        result = load(
            into,
            step.request.obj,
            step.csv,
            fields=step.request.fields,
            style=step.header_style,
            unparsed=step.options.unparsed,
        )
    except KeyboardInterrupt:
        raise InterruptedByUser(
            f"Interrupted while loading into {into}; the load was rolled back, the table is as it was.",
            hint="Run the same command again to export and load it.",
        ) from None
    step.on_event(
        Loaded(
            str(into), result.rows, result.inserted, result.updated, result.unparsed_rows, time.monotonic() - started
        )
    )
    return {**into.to_json(), **result.summary()}


def finish(
    outcome: ExportOutcome,
    request: ExportRequest,
    options: RunOptions,
    final: Target | Callable[[str], Target] | None,
    on_event: EventHandler,
) -> ExportOutcome:
    """Run the post-step on the outcome's CSV, remove the staging file, and describe the typed output."""
    download = outcome.download
    if download is None:  # --no-wait: plan refuses it with --into; a typed file waits for `download`
        return outcome
    csv = download.target
    target = final(outcome.export_id) if callable(final) else final
    staged = stages(options)
    started = time.monotonic()
    try:
        assert isinstance(csv, Path), "a staged or loaded CSV is a file"
        typed_file = target if options.format != CSV else None
        step = PostStep(request, options, csv, typed_file, options.headers or "api", on_event, download.rows)
        facts = post_step(step)
    finally:
        if staged and isinstance(csv, Path):
            with contextlib.suppress(FileNotFoundError):
                csv.unlink()
    csv_facts = {"bytes": download.bytes, "rows": download.rows, "sha256": download.sha256}
    extra: dict[str, Any] = {"format": options.format}
    if options.format != CSV:
        extra["csv"] = csv_facts
        extra["rows_written"] = facts.get("rows_written")
        extra["unparsed_rows"] = facts.get("unparsed_rows")
    if "into" in facts:
        extra["into"] = facts["into"]
    kept = download
    if target is None:  # only a table: the summary names no file, nor its format (the staging CSV is gone)
        extra |= {"output": None, "bytes": None, "sha256": None, "format": None}
    elif options.format != CSV:
        kept = replace(download, target=target, bytes=facts["bytes"], sha256=facts["sha256"])
    # `seconds` covers the whole command: the export and download, then this conversion and load.
    seconds = outcome.seconds + (time.monotonic() - started)
    return replace(outcome, download=kept, seconds=seconds, extra={**outcome.extra, **extra})
