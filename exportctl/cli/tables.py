"""Tables that are a command's answer (list, schema, run): boxed on a terminal, tab-separated off one.

Off a terminal (a pipe, a cron log) a boxed table is drawn 80 columns wide and wraps or cuts values,
so the answer there is tab-separated rows under a header row, nothing truncated (as gh does). On a
terminal the columns that hold an id or a path are never cut: they are as wide as their longest value.
`--format table|tsv|json` chooses explicitly. Cells are plain text, never markup.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

import typer

from exportctl.errors import ValidationError

FORMATS = ("table", "tsv", "json")

OutputFormat = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="table (the default on a terminal), tsv (tab-separated with a header; the default off one) or json.",
        metavar="table|tsv|json",
        autocompletion=lambda: list(FORMATS),
    ),
]


def choose_format(requested: str | None, *, json_flag: bool) -> str:
    """The format to print: --json, else --format, else table on a terminal and tsv off one."""
    if requested is not None and requested not in FORMATS:
        from exportctl.suggest import closest

        raise ValidationError(f"Unknown --format '{requested}'.", valid=FORMATS, suggestion=closest(requested, FORMATS))
    if json_flag:
        return "json"
    if requested is not None:
        return requested
    from exportctl.cli.console import out_console

    console = out_console()
    return "table" if console.is_terminal and not console.is_dumb_terminal else "tsv"


def _plain(value: object) -> str:
    # One line per row: tabs, newlines and other control characters from the network become spaces.
    text = "" if value is None else str(value)
    return "".join(ch if ch.isprintable() else " " for ch in text)


@dataclass
class Rows:
    """A table as data: a title (shown on a terminal only), column names, rows of cells."""

    columns: Sequence[str]
    title: str | None = None
    whole: Sequence[str] = ()  # columns never cut on a terminal: ids and paths
    right: Sequence[str] = ()  # right-aligned columns (numbers)
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([_plain(cell) for cell in cells])

    def print(self, fmt: str) -> None:
        """Print on standard output as `table` or `tsv`."""
        if fmt == "tsv":
            lines = ["\t".join(self.columns), *("\t".join(row) for row in self.rows)]
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
            return
        from rich.table import Table
        from rich.text import Text

        from exportctl.cli.console import out_console

        table = Table(title=self.title, title_justify="left")
        for index, column in enumerate(self.columns):
            widest = max((len(row[index]) for row in self.rows), default=0)
            table.add_column(
                column,
                justify="right" if column in self.right else "left",
                overflow="fold",
                no_wrap=column in self.whole,
                min_width=max(widest, len(column)) if column in self.whole else None,
            )
        for row in self.rows:
            table.add_row(*(Text(cell) for cell in row))
        out_console().print(table)
