"""Everything a command needs to talk to the API: settings (or an embedded sandbox), a client, a reporter.

The CLI's adapter of the domain's session (`engine/session.py`, which the library and `run` open too): the
global options and `--sandbox` give the settings, the reporter fits standard error, and the client is one of
the engine session's (its timeouts, rate budget and stop event).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from exportctl.cli.app_state import app_state
from exportctl.cli.console import err_console, print_info, print_warning

if TYPE_CHECKING:
    from exportctl.cli.reporters import Reporter
    from exportctl.client.api import ApiClient
    from exportctl.engine.session import Session as ExportSession
    from exportctl.settings import Settings

# The embedded sandbox of --sandbox serves the data of `exportctl sandbox`'s defaults (cli/sandbox.py), so the ids
# the README shows exist under both; its database is generated once a day and kept (sandbox/cache.py).
DEMO_SCALE = 1.0
DEMO_SEED = 42


@dataclass
class Session:
    client: ApiClient
    reporter: Reporter
    # The domain's session the client belongs to (settings, timeouts, rate budget, stop event).
    exports: ExportSession
    # The created_at span of the embedded sandbox's records (--sandbox), to explain an empty export.
    data_range: tuple[str, str] | None = None


@contextmanager
def resolve_state_settings(
    ctx: typer.Context, *, quiet: bool | None = None
) -> Iterator[tuple[Callable[[], Settings], tuple[str, str] | None]]:
    """A function that gives the settings of the global options, and the embedded sandbox's data range.

    A function rather than the settings, so that `doctor` can report a resolution error as one of its
    checks; --sandbox starts the embedded sandbox here, for as long as the context lasts.
    """
    from exportctl.settings import Settings, resolve_settings

    state = app_state(ctx)
    quiet = state.quiet if quiet is None else quiet
    with ExitStack() as stack:
        if state.sandbox:
            import tempfile
            from pathlib import Path

            from exportctl.sandbox import Sandbox, Timing
            from exportctl.sandbox.cache import embedded_database
            from exportctl.sandbox.records import today_utc
            from exportctl.tuning import poll_interval_from_environment

            poll_interval = poll_interval_from_environment()  # a bad value fails before the sandbox starts
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="exportctl-sandbox-")))
            as_of = today_utc()
            sandbox = stack.enter_context(
                Sandbox(
                    seed=DEMO_SEED,
                    scale=DEMO_SCALE,
                    as_of=as_of,
                    db_path=embedded_database(root, DEMO_SEED, DEMO_SCALE, as_of),
                    data_dir=root / "exports",
                    timing=Timing(scheduled=0.5, in_progress=1.0),
                )
            )
            if not quiet:
                print_info(f"Started an embedded sandbox at {sandbox.base_url} for this command.")
            embedded = Settings(
                base_url=sandbox.base_url,
                app_id=sandbox.app_id,
                app_token=sandbox.secret_key,
                profile=None,
                source="embedded sandbox",
                poll_interval=poll_interval,
            )
            yield (lambda: embedded), sandbox.data_range()
            return

        def resolve() -> Settings:
            return resolve_settings(
                app_id=state.app_id,
                app_token=state.app_token,
                api_url=state.api_url,
                region=state.region,
                profile=state.profile,
                warn=print_warning,
            )

        yield resolve, None


@contextmanager
def open_session(ctx: typer.Context, *, quiet: bool | None = None) -> Iterator[Session]:
    """A client configured from the global options, and the reporter that fits standard error."""
    from exportctl.cli.reporters import QuietReporter, make_reporter
    from exportctl.engine.session import open_session as open_export_session

    state = app_state(ctx)
    quiet = state.quiet if quiet is None else quiet
    with ExitStack() as stack:
        resolve, data_range = stack.enter_context(resolve_state_settings(ctx, quiet=quiet))
        settings = resolve()
        # Quiet needs no console: nothing of rich is imported before the first byte (issue 22's fixed cost).
        reporter: Reporter = (
            QuietReporter() if quiet else make_reporter(err_console(), quiet=quiet, verbose=state.verbose)
        )
        if quiet and state.verbose and not state.quiet:
            # list, status, delete and run show no progress of their own, but --verbose still logs HTTP.
            from exportctl.cli.reporters import PlainReporter

            reporter = PlainReporter(err_console().file, verbose=True)
        stack.enter_context(reporter)
        exports = open_export_session(settings)
        client = exports.client(reporter)
        stack.callback(client.close)
        yield Session(client=client, reporter=reporter, data_range=data_range, exports=exports)


def empty_export_line(filtered: bool | None) -> str:
    """What to say of an export that saved no records: the filters matched none, or there are none at all."""
    if filtered is None:
        return "The export has no rows."
    if filtered:
        return "The export has no rows: the filters matched no records."
    return "The export has no rows: no filter was given, so the project has no records of this object."


def say_if_empty(session: Session, rows: int | None, filtered: bool | None = None) -> None:
    """One line when an export saved no records: whether filters were given (None: unknown), and what the
    sandbox holds."""
    if rows != 0:
        return
    line = empty_export_line(filtered)
    if session.data_range is not None:
        start, end = session.data_range
        line += f" The sandbox's records were created from {start} to {end}."
    print_info(line)
