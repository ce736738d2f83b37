"""One session for every door: the environment's timeouts reach the CLI, the library and `run` alike.

The sandbox answers every export call after 1 s; with EXPORTCTL_READ_TIMEOUT=300ms the submit times out
(never retried: it may have created the export) and each door fails with exit 7. Before the session was
one, only the CLI's client read the variable: `run` and `exportctl.export` waited and succeeded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import exportctl
from exportctl.client import api
from exportctl.engine import session
from exportctl.engine.session import Timeouts, open_session, sibling
from exportctl.errors import ExitCode, NetworkError, UsageError
from exportctl.sandbox import Sandbox
from exportctl.settings import Settings
from tests.cli import conftest as e2e
from tests.cli.conftest import Cli
from tests.conftest import start_sandbox

# The end-to-end fixture of tests/cli: an isolated environment (no machine credentials, a clean cwd).
isolated = e2e.isolated


@pytest.fixture(scope="module")
def slow_server() -> Iterator[Sandbox]:
    """A sandbox of this module's own: a POST the client gave up on still lands a second later, and must
    not land in (and take a fault of) the sandbox other tests share."""
    with start_sandbox() as running:
        yield running


@pytest.fixture
def sandbox(slow_server: Sandbox) -> Iterator[Sandbox]:
    slow_server.faults.reset()
    yield slow_server
    slow_server.faults.reset()


@pytest.fixture
def cli(sandbox: Sandbox) -> Cli:
    return Cli(sandbox)


SLOW = 1.0
SHORT = "300ms"


def settings_of(sandbox: Sandbox) -> Settings:
    return Settings(base_url=sandbox.base_url, app_id=sandbox.app_id, app_token=sandbox.secret_key)


def one_entry(work: Path) -> Path:
    path = work / "one.yaml"
    path.write_text("exports:\n  - name: one\n    object: voucher\n    output: one.csv\n")
    return path


def test_the_engine_keeps_the_clients_defaults() -> None:
    assert (session.CONNECT_TIMEOUT, session.READ_TIMEOUT) == api.DEFAULT_TIMEOUT
    assert Timeouts.from_environment({}).http == api.DEFAULT_TIMEOUT


@pytest.mark.parametrize(("raw", "seconds"), [("300ms", 0.3), ("2", 2.0), ("1m", 60.0), (" ", session.READ_TIMEOUT)])
def test_read_timeout_from_the_environment(raw: str, seconds: float) -> None:
    assert Timeouts.from_environment({"EXPORTCTL_READ_TIMEOUT": raw}).read == seconds


def test_cli_honours_read_timeout(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    sandbox.faults.slow(SLOW, path_prefix="/v1/exports")
    result = cli("voucher", "-o", "v.csv", env={"EXPORTCTL_READ_TIMEOUT": SHORT})
    assert result.exit_code == ExitCode.NETWORK, result.stderr
    assert not (isolated / "v.csv").exists()


def test_run_honours_read_timeout(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    sandbox.faults.slow(SLOW, path_prefix="/v1/exports")
    result = cli("run", str(one_entry(isolated)), env={"EXPORTCTL_READ_TIMEOUT": SHORT})
    assert result.exit_code == ExitCode.NETWORK, result.stderr
    assert not (isolated / "one.csv").exists()


def test_library_honours_read_timeout(sandbox: Sandbox, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox.faults.slow(SLOW, path_prefix="/v1/exports")
    monkeypatch.setenv("EXPORTCTL_READ_TIMEOUT", SHORT)
    with pytest.raises(NetworkError) as caught:
        exportctl.export("voucher", settings=settings_of(sandbox), output=isolated / "v.csv")
    assert caught.value.exit_code == ExitCode.NETWORK
    assert not (isolated / "v.csv").exists()


def test_a_bad_read_timeout_is_refused_by_every_door(
    cli: Cli, sandbox: Sandbox, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = {"EXPORTCTL_READ_TIMEOUT": "soon"}
    for argv in (["voucher", "-o", "v.csv"], ["run", str(one_entry(isolated))]):
        result = cli(*argv, env=bad)
        assert result.exit_code == ExitCode.USAGE, result.stderr
        assert "EXPORTCTL_READ_TIMEOUT" in result.stderr
    monkeypatch.setenv("EXPORTCTL_READ_TIMEOUT", "soon")
    with pytest.raises(UsageError, match="EXPORTCTL_READ_TIMEOUT"):
        exportctl.export("voucher", settings=settings_of(sandbox), output=isolated / "v.csv")
    assert not (isolated / "v.csv").exists() and not (isolated / "one.csv").exists()


def test_every_client_of_a_session_shares_its_budget_and_stop(sandbox: Sandbox) -> None:
    opened = open_session(settings_of(sandbox), environ={"EXPORTCTL_READ_TIMEOUT": "2s"})
    with opened.client() as first, opened.client() as second, sibling(first, first.on_event) as third:
        assert {id(c.budget) for c in (first, second, third)} == {id(opened.budget)}
        assert first.stop is second.stop is third.stop is opened.stop
        assert third.timeout == second.timeout == (session.CONNECT_TIMEOUT, 2.0)


def test_a_stop_ends_every_wait_of_the_session(sandbox: Sandbox) -> None:
    opened = open_session(settings_of(sandbox), environ={})
    outcomes: list[str] = []

    def wait_long() -> None:
        with opened.client() as client:
            try:
                client.sleep(600)
            except KeyboardInterrupt:
                outcomes.append("stopped")

    threads = [threading.Thread(target=wait_long, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    opened.interrupt()
    for thread in threads:
        thread.join(60)  # generous: the sleeps were ten minutes
    assert outcomes == ["stopped"] * 3
    with opened.client() as client, pytest.raises(KeyboardInterrupt):
        client.get_export("exp_1")  # no request is sent once the session is stopped
