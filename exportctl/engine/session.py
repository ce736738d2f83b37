"""One session for every door: settings, timeouts from every source, the shared rate budget, one stop event.

The CLI's export commands (cli/connect.py), the library (`exportctl.export`), the entries of `exportctl run`
(jobs/batch.py) and the windows of a split export (jobs/split.py) all get their API clients here, so they
cannot drift apart:

- `Settings` as given, or resolved from the environment and the profile file (`EXPORTCTL_POLL_INTERVAL`
  included, as `Settings.poll_interval`);
- `Timeouts`: the HTTP connect and read timeouts, the read one from `EXPORTCTL_READ_TIMEOUT`, checked when
  the session opens, so a bad value fails before anything is sent whichever door was used (the database
  lock's `EXPORTCTL_LOCK_WAIT` is checked by the plan, `jobs/plan.py`, which every door runs too);
- one `RateBudget`: the API counts calls per project, so every client of the session spends the same one;
- one stop event. Every client of the session waits on it (retries, rate-limit pauses, polls, download
  retries) and checks it between requests and between download chunks: `Session.interrupt()` (Ctrl-C or a
  stop signal, seen by the thread that receives it) ends every thread's work at its next wait, with the
  `InterruptedByUser` each job already turns into its resume hint.

No typer, rich or requests here: `requests` comes in with the first client.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from exportctl.client.stop import StopEvent
from exportctl.errors import UsageError
from exportctl.events import EventHandler, ignore_event
from exportctl.settings import Settings

if TYPE_CHECKING:
    from exportctl.client.api import ApiClient
    from exportctl.client.retry import RateBudget

ENV_READ_TIMEOUT = "EXPORTCTL_READ_TIMEOUT"
# The client's defaults (client/api.py CONNECT_TIMEOUT, READ_TIMEOUT), kept here so that resolving a
# session imports no `requests`; tests/engine/test_session.py keeps them equal.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0
MAX_READ_TIMEOUT = 24 * 3600.0
# After a stop, how long the tasks of the worker pool (engine/pool.py: split windows, run entries) get to
# notice it and record what they saved.
STOP_GRACE = 1.5


@dataclass(frozen=True)
class Timeouts:
    """Every timeout of a session, in seconds."""

    connect: float = CONNECT_TIMEOUT
    read: float = READ_TIMEOUT

    @property
    def http(self) -> tuple[float, float]:
        """(connect, read), as requests takes them."""
        return self.connect, self.read

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Timeouts:
        """EXPORTCTL_READ_TIMEOUT (`30s`, `500ms`, seconds); UsageError (exit 2) when bad."""
        return cls(read=read_timeout(environ))


def read_timeout(environ: Mapping[str, str] | None = None) -> float:
    """EXPORTCTL_READ_TIMEOUT in seconds; the client's default when unset or empty.

    A proxy that holds connections open, or a test that needs a server slower than the timeout without
    waiting a minute, sets it.
    """
    from exportctl.request.durations import parse_duration

    env = os.environ if environ is None else environ
    raw = env.get(ENV_READ_TIMEOUT, "").strip()
    if not raw:
        return READ_TIMEOUT
    seconds = parse_duration(raw, ENV_READ_TIMEOUT, maximum=math.inf)  # its own range, checked below
    if not 0 < seconds <= MAX_READ_TIMEOUT:
        # The socket layer cannot hold much more than this, and no server is worth a longer silence.
        raise UsageError(f"{ENV_READ_TIMEOUT} must be more than 0 seconds and at most 24h, not '{raw}'.")
    return seconds


@dataclass
class Session:
    """What the exports of one command share; `client()` gives each thread its own client of it."""

    settings: Settings
    timeouts: Timeouts = field(default_factory=Timeouts)
    stop: StopEvent = field(default_factory=StopEvent)
    budget: RateBudget | None = None

    def client(self, on_event: EventHandler = ignore_event) -> ApiClient:
        """A new client (its own connections) on the session's settings, timeouts, budget and stop event."""
        from exportctl.client.api import ApiClient
        from exportctl.client.retry import RateBudget

        if self.budget is None:
            self.budget = RateBudget()
        return ApiClient(
            self.settings, on_event=on_event, timeout=self.timeouts.http, budget=self.budget, stop=self.stop
        )

    def interrupt(self) -> None:
        """Stop every client of the session at its next wait, request or download chunk."""
        self.stop.set()

    @property
    def stopped(self) -> bool:
        return self.stop.is_set()


def open_session(
    settings: Settings | None = None,
    *,
    stop: StopEvent | None = None,
    environ: Mapping[str, str] | None = None,
) -> Session:
    """The session of one command or library call: `settings` (default: the environment and the profile
    file, as `Settings.from_environment()`), the timeouts of the environment, a new budget and stop event."""
    timeouts = Timeouts.from_environment(environ)  # a bad value fails before the settings are even read
    chosen = settings if settings is not None else Settings.from_environment()
    return Session(chosen, timeouts, stop if stop is not None else StopEvent())


def sibling(client: ApiClient, on_event: EventHandler) -> ApiClient:
    """Another client of `client`'s session, for another thread (a `requests.Session` is not shared across
    threads): the same settings, timeouts, retry limits, sleep, rate budget and stop event."""
    from exportctl.client.api import ApiClient

    return ApiClient(
        client.settings,
        on_event=on_event,
        timeout=client.timeout,
        max_attempts=client.max_attempts,
        max_retry_delay=client.max_retry_delay,
        sleep=client.sleep,
        clock=client.clock,
        wallclock=client.wallclock,
        budget=client.budget,
        stop=client.stop,
    )
