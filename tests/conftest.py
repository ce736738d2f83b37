"""Fixtures shared by the whole suite: one sandbox API for the session, with its faults reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from exportctl.sandbox import Sandbox, Timing

# Small and quick: every kind of record exists, and an export finishes in well under a second.
SANDBOX_SCALE = 0.02
SANDBOX_SEED = 42
SANDBOX_TIMING = Timing(scheduled=0.01, in_progress=0.02, per_thousand_rows=0.0)


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A running sandbox on a free port of 127.0.0.1, shared by the session.

    Tests that add records or need a rate limit should start their own `Sandbox` instead, so the
    shared data stays what the generator made.
    """
    root = tmp_path_factory.mktemp("sandbox")
    with Sandbox(
        seed=SANDBOX_SEED,
        scale=SANDBOX_SCALE,
        db_path=root / "sandbox.sqlite3",
        data_dir=root / "exports",
        timing=SANDBOX_TIMING,
    ) as running:
        yield running


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Iterator[Sandbox]:
    """The session's sandbox; every fault switched on during the test is switched off after it."""
    sandbox_server.faults.reset()
    yield sandbox_server
    sandbox_server.faults.reset()
