"""Fixtures shared by the whole suite: one sandbox API for the session, with its faults reset per test."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from exportctl.events import Event
from exportctl.sandbox import Sandbox, Timing
from exportctl.settings import Settings
from exportctl.tuning import ENV_POLL_INTERVAL
from tests.postgres import pg_schema, postgres_server  # noqa: F401 (fixtures: a real PostgreSQL per worker)

# Small and quick: every kind of record exists, and an export finishes in well under a second.
SANDBOX_SCALE = 0.02
SANDBOX_SEED = 42
SANDBOX_TIMING = Timing(scheduled=0.01, in_progress=0.02, per_thousand_rows=0.0)
# ...so the first status poll comes after this many seconds, not the default second (EXPORTCTL_POLL_INTERVAL,
# set for every test and the processes it starts). A test of polling itself (call counts, intervals, rate-limit
# stretching, hints) is marked `default_polling` and polls on the product's own schedule.
TEST_POLL_INTERVAL = "0.05"


@pytest.fixture(autouse=True)
def quick_polling(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """EXPORTCTL_POLL_INTERVAL at TEST_POLL_INTERVAL, or unset for tests marked `default_polling`."""
    if request.node.get_closest_marker("default_polling") is None:
        monkeypatch.setenv(ENV_POLL_INTERVAL, TEST_POLL_INTERVAL)
    else:
        monkeypatch.delenv(ENV_POLL_INTERVAL, raising=False)


@contextmanager
def start_sandbox(**overrides: Any) -> Iterator[Sandbox]:
    """A running sandbox with the suite's seed, scale and timing unless `overrides` says otherwise.

    The session's sandbox is one; a test that adds records or needs a rate limit starts its own.
    """
    settings: dict[str, Any] = {"seed": SANDBOX_SEED, "scale": SANDBOX_SCALE, "timing": SANDBOX_TIMING}
    with Sandbox(**(settings | overrides)) as running:
        yield running


@pytest.fixture(scope="session", autouse=True)
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One cache directory (XDG_CACHE_HOME) for the session, inherited by the CLI it runs: the embedded
    sandbox's database (`exportctl --sandbox`) is generated once per worker, and ~/.cache stays untouched."""
    home = tmp_path_factory.mktemp("cache")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(home)
    yield home
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(autouse=True)
def state_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A state directory of the test's own (XDG_STATE_HOME, inherited by the CLI it runs): the polling
    history one test leaves never aims another's polls, whatever the order, and ~/.local/state stays untouched."""
    home = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A running sandbox on a free port of 127.0.0.1, shared by the session.

    Tests that add records or need a rate limit start their own with `start_sandbox` instead, so the
    shared data stays what the generator made.
    """
    root = tmp_path_factory.mktemp("sandbox")
    with start_sandbox(db_path=root / "sandbox.sqlite3", data_dir=root / "exports") as running:
        yield running


def sandbox_settings(sandbox: Sandbox) -> Settings:
    """The library's settings for `sandbox`: its URL and keys, polling at the suite's quick interval."""
    return Settings(
        base_url=sandbox.base_url,
        app_id=sandbox.app_id,
        app_token=sandbox.secret_key,
        poll_interval=float(TEST_POLL_INTERVAL),
    )


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Iterator[Sandbox]:
    """The session's sandbox; every fault switched on during the test is switched off after it. It starts
    once the requests of earlier tests are answered: one a client gave up on can still create an export,
    which a test counting the exports its command did not create would take for its own."""
    sandbox_server.faults.reset()
    sandbox_server.wait_idle(5.0)
    yield sandbox_server
    sandbox_server.faults.reset()


class Recorder:
    """Collects events and the delays the code under test asked for, without waiting them out.

    `sleep` records the delay and yields for `pause` seconds, so that the sandbox's real jobs progress
    while a poller "waits".
    """

    def __init__(self, pause: float = 0.005) -> None:
        self.pause = pause
        self.events: list[Event] = []
        self.delays: list[float] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        time.sleep(self.pause)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses every connection for the whole test: bound here and never listening,
    so that no other process (another test's server under xdist) can take it meanwhile, as it could a port
    that was only probed free."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


# A larger sandbox for the CLI's fault tests (tests/cli) and the end-to-end downloads (tests/e2e) alike: one per
# worker, shared by both directories.
@pytest.fixture(scope="session")
def big_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox whose full voucher export is about 1.3 MB: larger than a download chunk, still instant."""
    root = tmp_path_factory.mktemp("big-sandbox")
    with start_sandbox(seed=5, scale=0.3, db_path=root / "db.sqlite3", data_dir=root / "exports") as running:
        yield running


@pytest.fixture
def big(big_sandbox: Sandbox) -> Iterator[Sandbox]:
    big_sandbox.faults.reset()
    yield big_sandbox
    big_sandbox.faults.reset()
