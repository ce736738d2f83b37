"""The one `--json` contract: one object on standard output for every outcome, with the same keys.

Every command that takes `--json` starts its document with `begin` (so that a failure still prints
one, from `cli/app.py`), fills it as it learns, and prints it with `emit`. The keys of CONTRACT_KEYS are
always there, null where they do not apply; a command may add its own after them (`exports` for
`list` and `run`, `export` for `status` and `wait`, `deleted` for `delete`). A success of an export, `wait`,
`download`, `list` or `run` prints its typed result's `to_dict()` (`exportctl/engine/result.py`), the value
the library returns too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import typer

from exportctl.cli.app_state import app_state
from exportctl.cli.console import write_json
from exportctl.engine.contract import CONTRACT_KEYS, blank
from exportctl.errors import ConfigProblemsError, ExportctlError

if TYPE_CHECKING:
    from exportctl.events import Event, EventHandler

__all__ = [
    "CONTRACT_KEYS",
    "begin",
    "blank",
    "emit",
    "emit_failure",
    "emit_usage_failure",
    "json_pending",
    "tracking",
    "wants_json",
]


def begin(ctx: typer.Context, command: str, **values: Any) -> dict[str, Any]:
    """Start the `--json` document of this invocation; a failure from now on prints it with the error."""
    document = blank(command, **values)
    state = app_state(ctx)
    state.json_document = document
    state.json_started = time.monotonic()
    return document


def json_pending(ctx: typer.Context) -> bool:
    """Whether the command began a `--json` document (printed with the error by `emit_failure`)."""
    return ctx.obj is not None and app_state(ctx).json_document is not None


def _finish(document: dict[str, Any], started: float | None) -> dict[str, Any]:
    if document.get("seconds") is None and started is not None:
        document["seconds"] = round(time.monotonic() - started, 3)
    return document


def emit(ctx: typer.Context, document: dict[str, Any]) -> None:
    """Print the document; it is no longer pending, so nothing prints a second one."""
    state = app_state(ctx)
    write_json(json.dumps(_finish(document, state.json_started)))
    state.json_document = None


def emit_failure(
    ctx: typer.Context, error: ExportctlError | None, *, exit_code: int, interrupted: str | None = None
) -> None:
    """If a `--json` document is pending, print it with the error that ended the command; a command stopped
    by Ctrl-C or a stop signal also gets `"interrupted": "SIGINT"` (or `SIGTERM`, `SIGHUP`)."""
    state = app_state(ctx)
    document = state.json_document
    if document is None:
        return
    document["exit_code"] = exit_code
    if interrupted is not None:
        document["interrupted"] = interrupted
    if error is not None:
        from exportctl.masking import mask_userinfo

        document["error"] = mask_userinfo(error.message)
        document["hint"] = mask_userinfo(error.hint) if error.hint else error.hint
        if isinstance(error, ConfigProblemsError):  # `-c FILE`: every problem, shaped as validate's and run's
            document["problems"] = [
                {"file": error.file, "line": line, "message": mask_userinfo(message)}
                for line, message in error.problems
            ]
    emit(ctx, document)


def wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for `--json` anywhere (before a `--`), also where it is not valid."""
    words = list(argv)
    if "--" in words:
        words = words[: words.index("--")]
    return any(word == "--json" or word.startswith("--json=") for word in words)


def emit_usage_failure(argv: Sequence[str], command: str | None, error: ExportctlError) -> bool:
    """A usage error (a bad flag, a value Typer refuses) met before the command began its document: print
    the contract's document for it when the line asks for `--json`. Whether it printed one."""
    if not wants_json(argv):
        return False
    from exportctl.masking import mask_userinfo

    document = blank(command or "", exit_code=int(error.exit_code))
    if command is None:
        document["object"] = None  # no command was named (or an unknown one)
    else:
        from exportctl.schema import BY_COMMAND

        obj = BY_COMMAND.get(command)
        if obj is not None:
            document["exported_object"] = obj.exported_object
    document["error"] = mask_userinfo(error.message)
    document["hint"] = mask_userinfo(error.hint) if error.hint else error.hint
    document["seconds"] = 0.0  # nothing ran
    write_json(json.dumps(document))
    return True


def tracking(document: dict[str, Any], on_event: EventHandler) -> EventHandler:
    """`on_event`, noting in `document` the export id and the last status seen, for a failure's JSON."""
    from exportctl.events import Polled, StatusChanged, Submitted

    def handle(event: Event) -> None:
        if isinstance(event, Submitted):
            document["export_id"] = event.export_id
            document["status"] = "SCHEDULED"
        elif isinstance(event, StatusChanged | Polled):
            document["export_id"] = event.export_id
            document["status"] = event.status
        on_event(event)

    return handle
