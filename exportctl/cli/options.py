"""The options that several commands share, declared once as `Annotated` aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    typer.Option("--output-dir", help="Directory for the target (default: the current one).", rich_help_panel=OUTPUT),
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
        help="Print the API request body as JSON and exit; no network, no credentials needed.",
        rich_help_panel=RUN,
    ),
]
ExportId = Annotated[str, typer.Argument(help="The export id (exp_...).", metavar="EXPORT_ID", show_default=False)]
