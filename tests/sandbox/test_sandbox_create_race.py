"""Creating an export answers SCHEDULED, always: the real API does, and the official SDK rejects anything else.

The job's thread used to start before the answer was built, so with `--scheduled 0s` (or a loaded machine) the
create could answer IN_PROGRESS. Here a real `exportctl sandbox --scheduled 0s` process takes many creates at
once, on both kinds of endpoint, from raw HTTP and from the official Python SDK.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.sandbox.test_sandbox_cli import read_banner, start, stop

CLIENTS = 8
CREATES_PER_CLIENT = 25
SDK_CREATES_PER_CLIENT = 3  # the SDK is slow to build a client; the raw creates above carry the load
APP = {"X-App-Id": "race-app", "X-App-Token": "race-key"}


@pytest.fixture(scope="module")
def instant_sandbox() -> Iterator[str]:
    """A sandbox process whose exports leave SCHEDULED at once and finish at once: its base URL."""
    process = start(
        "--scheduled", "0s", "--in-progress", "0", "--per-thousand-rows", "0",
        "--app-id", APP["X-App-Id"], "--secret-key", APP["X-App-Token"],
    )  # fmt: skip
    try:
        banner = read_banner(process)
        url = re.search(r"VOUCHERIFY_API_BASE_URL=(\S+)", banner)
        assert url is not None, banner
        yield url.group(1)
    finally:
        stop(process)


def creates(base_url: str, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The answers to one client's creates, made back to back on one connection."""
    answers = []
    with requests.Session() as session:
        session.headers.update(APP)
        for _ in range(CREATES_PER_CLIENT):
            response = session.post(base_url + path, json=body, timeout=30)
            assert response.status_code == 200, response.text
            answers.append(response.json())
    return answers


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/exports", {"exported_object": "voucher", "parameters": {"fields": ["code"]}}),
        ("/v1/orders/export", {"parameters": {"fields": ["id"]}}),
    ],
    ids=["exports", "per-resource"],
)
def test_every_create_answers_scheduled_under_load(instant_sandbox: str, path: str, body: dict[str, Any]) -> None:
    with ThreadPoolExecutor(CLIENTS) as pool:
        batches = list(pool.map(lambda _: creates(instant_sandbox, path, body), range(CLIENTS)))
    answers = [answer for batch in batches for answer in batch]
    assert len({answer["id"] for answer in answers}) == CLIENTS * CREATES_PER_CLIENT
    assert {answer["status"] for answer in answers} == {"SCHEDULED"}
    assert {str(answer["result"]) for answer in answers} == {"None"}
    # The jobs did move on right after: the scheduling itself is instant, only the answer is fixed.
    with requests.Session() as session:
        session.headers.update(APP)
        last = session.get(f"{instant_sandbox}/v1/exports/{answers[-1]['id']}", timeout=30).json()
    assert last["status"] in ("IN_PROGRESS", "DONE")


def test_the_official_sdk_accepts_every_create(instant_sandbox: str) -> None:
    voucherify = pytest.importorskip("voucherify")
    models = pytest.importorskip("voucherify.models")
    configuration = voucherify.Configuration(host=instant_sandbox, api_key=dict(APP))

    def create_many(_: int) -> list[str]:
        with voucherify.ApiClient(configuration) as client:
            exports = voucherify.ExportsApi(client)
            body = models.ExportsCreateRequestBody.from_dict({"exported_object": "voucher"})
            return [exports.create_export(body).status for _ in range(SDK_CREATES_PER_CLIENT)]

    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = [status for batch in pool.map(create_many, range(CLIENTS)) for status in batch]
    assert statuses == ["SCHEDULED"] * (CLIENTS * SDK_CREATES_PER_CLIENT)
