"""A reader that closed the pipe (`exportctl voucher -o - | head`): the command ends quietly, as `cat` does."""

from __future__ import annotations

from typing import Any

from exportctl.errors import OutputError

# The exit status of a command whose reader closed the pipe: what a shell reports for `cat` killed by SIGPIPE.
PIPE_CLOSED = 141


def emit_pipe_closed(ctx: Any) -> None:
    """A pending --json document (written elsewhere than the closed pipe): the reader quit, the export stays."""
    import contextlib

    from exportctl.cli.app_state import app_state
    from exportctl.cli.json_contract import emit_failure

    document = app_state(ctx).json_document if ctx.obj is not None else None
    if document is None:
        return
    export_id = document.get("export_id")
    kept = f" Export {export_id} stays on the server." if export_id else ""
    hint = f"Save its CSV with: exportctl download {export_id} -o FILE" if export_id else None
    closed = OutputError(f"The output was closed by its reader before the export was complete.{kept}", hint=hint)
    with contextlib.suppress(OSError, ValueError):  # standard output may be the closed pipe itself
        emit_failure(ctx, closed, exit_code=PIPE_CLOSED)


def silence_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit does not raise again."""
    import contextlib
    import os
    import sys

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
