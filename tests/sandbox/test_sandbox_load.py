"""The sandbox under load: several clients on loopback create, poll, download and list exports at once.

Every answer must be right (status codes, and each CSV byte-identical to a reference export of the same
parameters made before the load), and no export may be lost (the list's total counts every one of them).
Bounded: 8 clients x 5 exports on a small data set, a few seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from exportctl.sandbox import Sandbox, Timing

CLIENTS = 8
EXPORTS_PER_CLIENT = 5
DEADLINE_SECONDS = 60.0
PARAMETER_SETS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("voucher", {"fields": ["code", "voucher_type", "value", "metadata"], "order": "-created_at"}),
    ("order", {"fields": ["id", "status", "amount"], "filters": {"status": {"conditions": {"$in": ["PAID"]}}}}),
    ("customer", {"fields": ["name", "email", "source_id"]}),
    ("redemption", {}),
    ("publication", {"order": "created_at"}),
)


@pytest.fixture(scope="module")
def loaded_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("load")
    with Sandbox(seed=11, scale=0.02, db_path=root / "db.sqlite3", data_dir=root / "exports",
                 timing=Timing(scheduled=0.01, in_progress=0.02, per_thousand_rows=0.0)) as running:  # fmt: skip
        yield running


class Client:
    """One API client with its own connection pool, recording every answer that is not what it should be."""

    def __init__(self, sandbox: Sandbox, problems: list[str]) -> None:
        self.base = sandbox.base_url
        self.session = requests.Session()
        self.session.headers.update(sandbox.headers)
        self.problems = problems

    def expect(self, response: requests.Response, status: int, what: str) -> requests.Response:
        if response.status_code != status:
            self.problems.append(f"{what}: {response.status_code} {response.text[:200]}")
        return response

    def export(self, exported_object: str, parameters: dict[str, Any]) -> tuple[str, bytes]:
        """Create, poll until DONE, download: (export id, CSV bytes)."""
        body = {"exported_object": exported_object, "parameters": parameters}
        created = self.expect(self.session.post(f"{self.base}/v1/exports", json=body, timeout=30), 200, "create")
        export = created.json()
        deadline = time.monotonic() + DEADLINE_SECONDS
        while export.get("status") not in ("DONE", "ERROR") and time.monotonic() < deadline:
            time.sleep(0.02)
            polled = self.session.get(f"{self.base}/v1/exports/{export['id']}", timeout=30)
            export = self.expect(polled, 200, "poll").json()
        if export.get("status") != "DONE":
            self.problems.append(f"export {export.get('id')} ended {export.get('status')}")
            return str(export.get("id")), b""
        downloaded = self.expect(self.session.get(export["result"]["url"], timeout=30), 200, "download")
        if int(downloaded.headers.get("Content-Length", -1)) != len(downloaded.content):
            self.problems.append(f"download of {export['id']}: Content-Length does not match the body")
        return str(export["id"]), downloaded.content


def test_concurrent_clients_get_correct_answers_and_lose_no_export(loaded_sandbox: Sandbox, tmp_path: Path) -> None:
    problems: list[str] = []
    reference_client = Client(loaded_sandbox, problems)
    references = [reference_client.export(name, parameters)[1] for name, parameters in PARAMETER_SETS]
    assert not problems and all(references)

    created: list[str] = []
    mismatches: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        client = Client(loaded_sandbox, problems)
        for number in range(EXPORTS_PER_CLIENT):
            which = (index + number) % len(PARAMETER_SETS)
            export_id, body = client.export(*PARAMETER_SETS[which])
            # Listing while others create exercises the job table's lock too.
            client.expect(client.session.get(f"{client.base}/v1/exports", params={"limit": 5}, timeout=30), 200,
                          "list")  # fmt: skip
            with lock:
                created.append(export_id)
                if body != references[which]:
                    mismatches.append(f"{export_id} ({PARAMETER_SETS[which][0]}): {len(body)} bytes")

    threads = [threading.Thread(target=work, args=(index,)) for index in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, DEADLINE_SECONDS - (time.monotonic() - started)))
    assert not any(thread.is_alive() for thread in threads), "the load did not finish in time"

    assert problems == []
    assert mismatches == []
    assert len(created) == len(set(created)) == CLIENTS * EXPORTS_PER_CLIENT
    listed: set[str] = set()
    page = 1
    while True:
        answer = reference_client.session.get(
            f"{loaded_sandbox.base_url}/v1/exports", params={"limit": 100, "page": page}, timeout=30
        ).json()
        listed.update(export["id"] for export in answer["exports"])
        if len(answer["exports"]) < 100:
            break
        page += 1
    assert answer["total"] == len(PARAMETER_SETS) + CLIENTS * EXPORTS_PER_CLIENT
    assert set(created) <= listed
