"""Everything a command needs to talk to the API: settings (or an embedded sandbox), a client, a reporter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from exportctl.cli.console import err_console, print_info, print_warning
from exportctl.cli.state import app_state

if TYPE_CHECKING:
    from exportctl.client import ApiClient
    from exportctl.reporting import Reporter

# The embedded sandbox of --sandbox: small and quick, so a demo export takes a few seconds.
DEMO_SCALE = 0.2
DEMO_SEED = 7


@dataclass
class Session:
    client: ApiClient
    reporter: Reporter


@contextmanager
def open_session(ctx: typer.Context, *, quiet: bool | None = None) -> Iterator[Session]:
    """A client configured from the global options, and the reporter that fits standard error."""
    from exportctl.client import ApiClient
    from exportctl.reporting import make_reporter
    from exportctl.settings import Settings, resolve_settings

    state = app_state(ctx)
    quiet = state.quiet if quiet is None else quiet
    with ExitStack() as stack:
        if state.sandbox:
            from exportctl.sandbox import Sandbox, Timing

            sandbox = stack.enter_context(
                Sandbox(seed=DEMO_SEED, scale=DEMO_SCALE, timing=Timing(scheduled=0.5, in_progress=1.0))
            )
            if not quiet:
                print_info(f"Started an embedded sandbox at {sandbox.base_url} for this command.")
            settings = Settings(
                base_url=sandbox.base_url,
                app_id=sandbox.app_id,
                app_token=sandbox.secret_key,
                profile=None,
                source="embedded sandbox",
            )
        else:
            settings = resolve_settings(
                app_id=state.app_id,
                app_token=state.app_token,
                api_url=state.api_url,
                region=state.region,
                profile=state.profile,
                warn=print_warning,
            )
        reporter = make_reporter(err_console(), quiet=quiet, verbose=state.verbose)
        stack.enter_context(reporter)
        client = ApiClient(settings, on_event=reporter)
        stack.callback(client.close)
        yield Session(client=client, reporter=reporter)
