"""Where people read: standard error. Standard output carries data only.

rich is imported on first use, not at start-up: `--help`, `--dry-run` and TAB completion never
need it for their plain lines.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import TYPE_CHECKING

from exportctl.errors import ExportctlError

if TYPE_CHECKING:
    from rich.console import Console


@cache
def err_console() -> Console:
    """The console on standard error, for errors, warnings, spinners and progress bars."""
    from rich.console import Console

    # Resolves sys.stderr on every write, so test runners that swap the stream still capture it.
    return Console(stderr=True, highlight=False, soft_wrap=True)


@cache
def out_console() -> Console:
    """The console on standard output, for tables that are the command's answer (schema, list)."""
    from rich.console import Console

    return Console(highlight=False)


def print_error(error: ExportctlError) -> None:
    """Render an expected error once: one line naming the problem, then what to do about it."""
    from rich.markup import escape

    from exportctl.masking import mask_userinfo, printable

    # Messages quote the server's ids, statuses and bodies: no markup, no terminal control from them; and
    # URLs, whose user info (`http://user:password@host`) is masked here, whichever code built the message.
    err_console().print(f"[bold red]error:[/] {escape(printable(mask_userinfo(error.message)))}")
    problems = getattr(error, "problems", ())
    if len(problems) > 1:  # ConfigProblemsError: each problem of the file on its own line, as validate prints them
        for _, message in problems:
            err_console().print(printable(mask_userinfo(message)), markup=False)
    if error.hint:
        err_console().print(printable(mask_userinfo(error.hint)), markup=False)


def print_warning(text: str) -> None:
    from rich.markup import escape

    from exportctl.masking import mask_userinfo, printable

    err_console().print(f"[yellow]warning:[/] {escape(printable(mask_userinfo(text)))}")


def print_info(text: str) -> None:
    """A plain line for a person, on standard error (control characters shown as escapes, URL passwords masked)."""
    from exportctl.masking import mask_userinfo, printable

    sys.stderr.write(printable(mask_userinfo(text)) + "\n")
    sys.stderr.flush()


def write_json(document: str) -> None:
    """A JSON document on standard output, followed by a newline."""
    sys.stdout.write(document + "\n")
    sys.stdout.flush()
