"""Where people read: standard error. Standard output carries data only."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape

from exportctl.errors import ExportctlError

stderr = Console(stderr=True, highlight=False, soft_wrap=True)
# Tables that are the command's answer (schema, list) go to standard output.
stdout = Console(highlight=False)


def print_error(error: ExportctlError) -> None:
    """Render an expected error once: one line naming the problem, then what to do about it."""
    stderr.print(f"[bold red]error:[/] {escape(error.message)}")
    if error.hint:
        stderr.print(error.hint, markup=False)


def print_warning(text: str) -> None:
    stderr.print(f"[yellow]warning:[/] {escape(text)}")


def print_info(text: str) -> None:
    stderr.print(text, markup=False, highlight=False)


def write_json(document: str) -> None:
    """A JSON document on standard output, followed by a newline."""
    sys.stdout.write(document + "\n")
    sys.stdout.flush()
