"""The options that several commands share, declared once as `Annotated` aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from exportctl.cli.completion_sources import choices_completer, complete_directory
from exportctl.request.into import ENGINES, FORMATS, UNPARSED_MODES
from exportctl.request.model import HEADER_STYLES, JUNCTIONS, SPLIT_UNITS

PARAMETERS = "Export parameters"
OUTPUT = "Output"
RUN = "Running"

JsonOutput = Annotated[
    bool,
    typer.Option("--json", help="Print one JSON object with the result to standard output.", rich_help_panel=RUN),
]
Junction = Annotated[
    str | None,
    typer.Option(
        "--junction",
        help="How filters combine: and (every filter) or or (any filter). Default: and.",
        metavar="and|or",
        autocompletion=choices_completer(JUNCTIONS),
        rich_help_panel=PARAMETERS,
    ),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML file with the export parameters; flags override it.",
        metavar="FILE.yaml",
        rich_help_panel=PARAMETERS,
    ),
]
Output = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Target path or template ({object} {id} {date} {time}); - streams the CSV to stdout; "
        "a .gz target is compressed. Default: {object}-{id}.csv",
        metavar="PATH",
        rich_help_panel=OUTPUT,
    ),
]
OutputDir = Annotated[
    str | None,
    typer.Option(
        "--output-dir",
        help="Directory for the target (default: the current one).",
        autocompletion=complete_directory,
        rich_help_panel=OUTPUT,
    ),
]
Force = Annotated[
    bool | None,
    typer.Option("--force", help="Overwrite an existing target.", show_default=False, rich_help_panel=OUTPUT),
]
Wait = Annotated[
    bool | None,
    typer.Option(
        "--wait/--no-wait",
        help="Wait for the export and download it (default), or print its id and return.",
        show_default=False,
        rich_help_panel=RUN,
    ),
]
Timeout = Annotated[
    str | None,
    typer.Option(
        "--timeout", help="Give up waiting after this long: 90s, 15m, 2h. Default: no limit.", rich_help_panel=RUN
    ),
]
DryRun = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Print every request it would send (POST endpoint, each body as JSON; with --json one document) "
        "and exit; no network, no credentials needed.",
        rich_help_panel=RUN,
    ),
]
ExportId = Annotated[str, typer.Argument(help="The export id (exp_...).", metavar="EXPORT_ID", show_default=False)]
HeaderStyle = Annotated[
    str | None,
    typer.Option(
        "--headers",
        help="CSV header row: api keeps the API's titles (Voucher Type), fields writes the field names "
        "(voucher_type). Default: api.",
        metavar="api|fields",
        autocompletion=choices_completer(HEADER_STYLES),
        rich_help_panel=OUTPUT,
    ),
]
OutputFormat = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="Output file: csv (the API's bytes, default), jsonl (one typed JSON object per row) or parquet "
        "(typed columns; needs exportctl[warehouse]). Column names are the field names. Default target: "
        "{object}-{id}.jsonl / .parquet.",
        metavar="csv|jsonl|parquet",
        autocompletion=choices_completer(FORMATS),
        rich_help_panel=OUTPUT,
    ),
]
Into = Annotated[
    str | None,
    typer.Option(
        "--into",
        help="Load the export into a database table, merged on the object's key: duckdb:PATH[#TABLE] (needs "
        "exportctl[warehouse]) or sqlite:PATH[#TABLE]. Default table: the object (gift_card_transactions). "
        "The CSV is kept only where -o asks for it.",
        metavar="ENGINE:PATH[#TABLE]",
        autocompletion=choices_completer(tuple(f"{engine}:" for engine in ENGINES)),
        rich_help_panel=OUTPUT,
    ),
]
Unparsed = Annotated[
    str | None,
    typer.Option(
        "--unparsed",
        help="A value that does not fit its column's type (--format jsonl|parquet, --into): keep it as text in "
        "the _unparsed column (default), or fail naming the row and column (exit 9).",
        metavar="keep|fail",
        autocompletion=choices_completer(UNPARSED_MODES),
        rich_help_panel=OUTPUT,
    ),
]
SinceLast = Annotated[
    str | None,
    typer.Option(
        "--since-last",
        help="Incremental: export only what was created since the last complete run recorded in this JSON "
        "state file, then move its watermark. A second overlapping run exits with status 8.",
        metavar="STATE",
        rich_help_panel=RUN,
    ),
]
StateKey = Annotated[
    str | None,
    typer.Option(
        "--state-key",
        help="Name of this export in the --since-last state file (default: derived from the object and its "
        "parameters, so changing them starts over).",
        metavar="NAME",
        rich_help_panel=RUN,
    ),
]
Since = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Only records created at or after this: 2024-01-01 or 2024-01-01T10:00:00Z (UTC unless a zone). "
        "With --since-last: only for the first run.",
        metavar="DATE",
        rich_help_panel=PARAMETERS,
    ),
]
Until = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="Only records created before this (exclusive). Default with --split-by: now.",
        metavar="DATE",
        rich_help_panel=PARAMETERS,
    ),
]
SplitBy = Annotated[
    str | None,
    typer.Option(
        "--split-by",
        help="Cut the export into created_at windows (day, week or month, UTC) from --since, run them and join "
        "them into one CSV; an interrupted run resumes with the windows it lacks.",
        metavar="day|week|month",
        autocompletion=choices_completer(SPLIT_UNITS),
        rich_help_panel=RUN,
    ),
]
Parallel = Annotated[
    int | None,
    typer.Option(
        "--parallel",
        help="How many --split-by windows run at once, sharing the API's rate budget (1-16). Default: 1.",
        metavar="N",
        rich_help_panel=RUN,
    ),
]

# The shared aliases by the name of their option in `request.model.OPTIONS`; the per-object ones (fields,
# order, filters, the scopes) are built from the schema tables in `cli.exports`.
BY_OPTION: dict[str, Any] = {
    "junction": Junction,
    "config": ConfigFile,
    "output": Output,
    "output_dir": OutputDir,
    "force": Force,
    "wait": Wait,
    "timeout": Timeout,
    "headers": HeaderStyle,
    "format": OutputFormat,
    "into": Into,
    "unparsed": Unparsed,
    "since": Since,
    "until": Until,
    "split_by": SplitBy,
    "parallel": Parallel,
    "since_last": SinceLast,
    "state_key": StateKey,
}
