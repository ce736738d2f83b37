"""The global options, parsed once by the root callback and handed to every command."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import typer


@dataclass
class AppState:
    """What the root callback parsed; commands read it from `ctx.obj`."""

    profile: str | None = None
    region: str | None = None
    api_url: str | None = None
    app_id: str | None = None
    app_token: str | None = None
    quiet: bool = False
    verbose: bool = False
    sandbox: bool = False
    # The pending `--json` document (cli/json_contract.py): printed with the error if the command fails.
    json_document: dict[str, Any] | None = None
    json_started: float | None = None


def app_state(ctx: typer.Context) -> AppState:
    """The AppState of this invocation (a default one when a command runs on its own)."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj
