"""The global options, parsed once by the root callback and handed to every command."""

from __future__ import annotations

from typing import Any

import typer


class AppState:
    """What the root callback parsed; commands read it from `ctx.obj`.

    A plain class rather than a dataclass: every command creates this class at start-up, and creating a
    dataclass costs a share of a millisecond (its methods are compiled from source each time).
    """

    def __init__(
        self,
        *,
        profile: str | None = None,
        region: str | None = None,
        api_url: str | None = None,
        app_id: str | None = None,
        app_token: str | None = None,
        quiet: bool = False,
        verbose: bool = False,
        sandbox: bool = False,
    ) -> None:
        self.profile = profile
        self.region = region
        self.api_url = api_url
        self.app_id = app_id
        self.app_token = app_token
        self.quiet = quiet
        self.verbose = verbose
        self.sandbox = sandbox
        # The pending `--json` document (cli/json_contract.py): printed with the error if the command fails.
        self.json_document: dict[str, Any] | None = None
        self.json_started: float | None = None


def app_state(ctx: typer.Context) -> AppState:
    """The AppState of this invocation (a default one when a command runs on its own)."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj
