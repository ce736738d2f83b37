"""Fixtures for exports into buckets: one S3 server per test session (worker), a bucket per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli, isolated, quick_backoff  # the CLI in-process, in an empty directory
from tests.remote.servers import AZURITE_PREFIX, AzureServer, S3Server, azurite, azurite_binary, moto_s3

__all__ = ["isolated", "quick_backoff"]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with moto_s3() as server:
        yield server


@pytest.fixture
def s3(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The S3 server, with this process's environment pointed at it (and no other cloud's credentials)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "EXPORTCTL_S3_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return s3_server


@pytest.fixture
def bucket(s3: S3Server) -> str:
    return s3.new_bucket()


@pytest.fixture
def cli(sandbox: Sandbox) -> Cli:
    return Cli(sandbox)


@pytest.fixture(scope="session")
def azure_server() -> Iterator[AzureServer]:
    binary = azurite_binary()
    if binary is None:  # .ci/run installs it; a developer without Node runs the S3 tests only
        pytest.skip(f"Azurite is not installed: npm install --prefix {AZURITE_PREFIX} azurite (see .ci/run)")
    with azurite(binary) as server:
        yield server


@pytest.fixture
def azure(azure_server: AzureServer, monkeypatch: pytest.MonkeyPatch) -> AzureServer:
    """Azurite, with this process's environment pointed at it."""
    for name, value in azure_server.env().items():
        monkeypatch.setenv(name, value)
    return azure_server


@pytest.fixture
def container(azure: AzureServer) -> str:
    return azure.new_container()
