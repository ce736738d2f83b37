"""What the tests of exportctl.jobs share: an API client on the test's sandbox, a finished export, its file."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from exportctl.client.api import ApiClient
from exportctl.jobs.poll import poll_until_done
from exportctl.jobs.single import submit
from exportctl.request.model import ExportRequest
from exportctl.sandbox import Sandbox
from exportctl.settings import Settings
from tests.conftest import Recorder


@pytest.fixture
def client(sandbox: Sandbox, recorder: Recorder) -> Iterator[ApiClient]:
    """A client of the test's `sandbox` (a module may override that fixture), sleeping on the recorder."""
    settings = Settings(sandbox.base_url, sandbox.app_id, sandbox.secret_key, None, "test")
    with ApiClient(settings, on_event=recorder, sleep=recorder.sleep, rng=random.Random(1)) as api:
        yield api


def finished_export(client: ApiClient, request: ExportRequest, recorder: Recorder) -> dict[str, Any]:
    """`request` submitted and polled until DONE: the export object."""
    export = submit(client, request, recorder)
    return poll_until_done(client, export["id"], timeout=30, on_event=recorder, sleep=recorder.sleep)


def sandbox_file(sandbox: Sandbox, export_id: str) -> bytes:
    """The bytes the sandbox serves for `export_id`."""
    (path,) = sandbox.data_dir.glob(f"{export_id}*")
    return path.read_bytes()
