"""Tables that are a command's answer (list, schema, run): boxed on a terminal, tab-separated off one.

Off a terminal (a pipe, a cron log) the answer is tab-separated rows under a header row, nothing cut and
every number exact (as gh does). On a terminal the table fits the window: ids, timestamps and numbers are
never cut nor wrapped; text columns are cut with an ellipsis (paths keep their end), prose wraps, and when
even that does not fit the least important columns are left out, named under the table. Numbers are
right-aligned and byte counts human-sized (10.2 MiB, the units of the progress lines). `--format
table|tsv|json` chooses explicitly. Cells are plain text, never markup.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

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


# A text column is never narrower than this (or its header) before the table leaves columns out.
MIN_TEXT = 12
MIN_PROSE = 20
ELLIPSIS = "…"


def human_size(size: int) -> str:
    """A byte count as a person reads it (`10.2 MiB`): binary units, as every line of exportctl."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def human_bytes(text: str) -> str:
    """A cell holding a byte count, human-sized; any other text as it is."""
    return human_size(int(text)) if text.isascii() and text.isdigit() else text


def cut(text: str, width: int, *, keep_end: bool = False) -> str:
    """`text` in at most `width` cells, an ellipsis where it was cut (at the start when `keep_end`: paths)."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    if keep_end:
        tail = text
        while cell_len(tail) > width - 1:
            tail = tail[1:]
        return set_cell_size(ELLIPSIS + tail, width)
    return set_cell_size(text, width - 1) + ELLIPSIS


def fit_widths(
    natural: Sequence[int],
    minimum: Sequence[int],
    drop_order: Sequence[int],
    room: int,
    blank: Sequence[int] = (),
) -> list[int | None]:
    """Each column's width in `room` cells of content (None: left out).

    When the table does not fit as it is, the `blank` columns go first (no value in any row, or
    optional ones that are shown only when everything fits). Columns
    start at their minimum; while even that does not fit, the next of `drop_order` is left out. What
    room is left is shared out a cell at a time among the columns still narrower than their values.
    """
    widths: list[int | None] = list(minimum)
    order = list(drop_order)

    def used() -> int:
        shown = [w for w in widths if w is not None]
        return sum(shown) + 3 * len(shown) + 1  # a cell's padding and border, and the last border

    if sum(natural) + 3 * len(natural) + 1 > room:
        for index in blank:
            widths[index] = None

    while used() > room and order:
        widths[order.pop(0)] = None
    spare = room - used()
    while spare > 0:
        short = [i for i, w in enumerate(widths) if w is not None and w < natural[i]]
        if not short:
            break
        for index in short[:spare]:
            widths[index] = (widths[index] or 0) + 1
        spare -= len(short[:spare])
    return widths


@dataclass
class Rows:
    """A table as data: a title (shown on a terminal only), column names, rows of cells.

    On a terminal: `whole` columns (ids, timestamps) and `right` ones (numbers, right-aligned) are never
    cut, `sizes` (byte counts) are human-sized, `prose` columns wrap on words, `paths` are cut at their
    start; other text is cut with an ellipsis. `drop` names the columns that may be left out when the
    window is too narrow, least important first; `optional` ones are left out as soon as anything would
    be cut.
    """

    columns: Sequence[str]
    title: str | None = None
    whole: Sequence[str] = ()  # columns never cut on a terminal: ids and timestamps
    right: Sequence[str] = ()  # right-aligned columns (numbers), never cut
    sizes: Sequence[str] = ()  # byte counts: human-sized on a terminal, exact off one
    prose: Sequence[str] = ()  # sentences, wrapped on a terminal rather than cut
    paths: Sequence[str] = ()  # cut at their start, so that the file name shows
    drop: Sequence[str] = ()  # left out when nothing else fits, least important first
    optional: Sequence[str] = ()  # shown only when the whole table fits without cutting anything
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
        from exportctl.cli.console import out_console

        console = out_console()
        table, needed = self.render(console.width)
        # Ids and numbers alone wider than the window: the terminal wraps the lines, nothing is cut.
        console.print(table, width=max(console.width, needed))

    def render(self, width: int) -> tuple[Any, int]:
        """The rich table of these rows for a window `width` cells wide, and the cells it needs."""
        from rich.cells import cell_len
        from rich.table import Table
        from rich.text import Text

        rows = [
            [human_bytes(c) if col in self.sizes else c for col, c in zip(self.columns, row, strict=True)]
            for row in self.rows
        ]
        natural = [max([cell_len(col), *(cell_len(row[i]) for row in rows)]) for i, col in enumerate(self.columns)]
        fixed = set(self.whole) | set(self.right) | set(self.sizes)
        minimum = [
            n if col in fixed else min(n, max(cell_len(col), MIN_PROSE if col in self.prose else MIN_TEXT))
            for col, n in zip(self.columns, natural, strict=True)
        ]
        order = [self.columns.index(col) for col in self.drop if col in self.columns]
        blank = [i for i in range(len(self.columns)) if rows and not any(row[i] for row in rows)]
        optional = [i for i, col in enumerate(self.columns) if col in self.optional and i not in blank]
        widths = fit_widths(natural, minimum, order, width, [*blank, *optional])
        shown = [i for i, w in enumerate(widths) if w is not None]
        # A column without a value in any row is left out without a word: nothing of it is missing.
        left_out = [self.columns[i] for i, w in enumerate(widths) if w is None and i not in blank]
        caption = f"Not shown for want of width: {', '.join(left_out)} (--format tsv shows every column)."
        table = Table(
            title=self.title, title_justify="left", caption=caption if left_out else None, caption_justify="left"
        )
        for i in shown:
            col, cells = self.columns[i], widths[i]
            numeric = col in self.right or col in self.sizes
            table.add_column(
                cut(col, cells or 0),
                justify="right" if numeric else "left",
                width=cells,
                no_wrap=col not in self.prose,
                overflow="fold" if col in self.prose else "ellipsis",
            )
        for row in rows:
            table.add_row(*(self._cell(self.columns[i], row[i], widths[i] or 0, Text) for i in shown))
        return table, sum(widths[i] or 0 for i in shown) + 3 * len(shown) + 1

    def _cell(self, column: str, text: str, width: int, make: Any) -> Any:
        if column in self.prose or column in self.whole or column in self.right or column in self.sizes:
            return make(text)
        return make(cut(text, width, keep_end=column in self.paths))
