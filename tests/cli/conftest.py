"""End-to-end fixtures: the real CLI, an isolated environment, and the sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from exportctl.cli.app import app
from exportctl.sandbox import Sandbox

ENV_NAMES = (
    "VOUCHERIFY_APP_ID",
    "VOUCHERIFY_APP_TOKEN",
    "VOUCHERIFY_SECRET_KEY",
    "VOUCHERIFY_API_BASE_URL",
    "EXPORTCTL_PROFILE",
)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No credentials or profiles from the machine running the tests; the working directory is empty."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("COLUMNS", "200")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work


@pytest.fixture
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries keep their number, order and messages; only the backoff between them shrinks (to 1/50).

    For tests of where retries lead (messages, exit codes, files), not of how long they wait: the client's
    backoff bounds are tested in tests/client/test_api.py, with delays recorded rather than slept. A server's
    Retry-After is still waited out as given.
    """
    monkeypatch.setattr("exportctl.client.api.BACKOFF_BASE", 0.01)
    monkeypatch.setattr("exportctl.jobs.download.DOWNLOAD_RETRY_BASE", 0.02)


@dataclass
class Cli:
    """Runs `exportctl` in-process against a sandbox, with its credentials given as flags."""

    sandbox: Sandbox

    def credentials(self) -> list[str]:
        return [
            "--api-url",
            self.sandbox.base_url,
            "--app-id",
            self.sandbox.app_id,
            "--app-token",
            self.sandbox.secret_key,
        ]

    def __call__(self, *args: str, credentials: bool = True, env: dict[str, str] | None = None) -> Result:
        argv = [*self.credentials(), *args] if credentials else list(args)
        return CliRunner().invoke(app, argv, env=env, catch_exceptions=False)

    def export_count(self) -> int:
        """How many exports the sandbox holds, to prove that a failed command created none."""
        import requests

        answer = requests.get(
            f"{self.sandbox.base_url}/v1/exports",
            params={"limit": 1},
            headers={"X-App-Id": self.sandbox.app_id, "X-App-Token": self.sandbox.secret_key},
            timeout=10,
        )
        return int(answer.json()["total"])


@pytest.fixture
def cli(sandbox: Sandbox) -> Cli:
    return Cli(sandbox)
