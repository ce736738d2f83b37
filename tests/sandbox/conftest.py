"""Fixtures for the sandbox's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from exportctl.sandbox import Sandbox

from .http_api import Api


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[Api]:
    client = Api(sandbox)
    yield client
    client.session.close()
