"""The state document in a bucket, on moto's S3: compare-and-swap writes and a lock object that expires.

Real processes for the overlapping runs: the store's lock held by one interpreter while another tries it, and
two `--since-last s3://...` runs of the CLI on one state object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from exportctl.errors import LockedError
from exportctl.remote.state import BucketJsonStore, StateConflict
from exportctl.remote.urls import RemoteUrl
from exportctl.sandbox import Sandbox
from exportctl.state.store import Conflict, StateProblem
from tests.cli.conftest import Cli
from tests.cli.test_fault_matrix import start_cli
from tests.remote.proxy import FORWARD, HOLD, s3_proxy
from tests.remote.servers import AzureServer, S3Server

TAKE_LOCK = """
import sys
from exportctl.remote.state import BucketJsonStore
from exportctl.remote.urls import parse_url
from exportctl.errors import LockedError
store = BucketJsonStore(parse_url(sys.argv[1]), version=1)
try:
    with store.lock(seconds=600):
        print("holding", flush=True)
        sys.stdin.readline()  # the test says when this run ends
        snapshot = store.read()
        doc = snapshot.doc or {}
        store.write_if_unchanged(dict(doc, runs=doc.get("runs", 0) + 1), snapshot.token)
    print("done", flush=True)
except LockedError as exc:
    print("locked:", exc, flush=True)
    sys.exit(8)
"""


def _start(url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", TAKE_LOCK, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )


def test_a_write_replaces_only_the_version_read(s3: S3Server, bucket: str) -> None:
    store = BucketJsonStore(RemoteUrl("s3", bucket, "state/orders.json"), version=1)
    first = store.read()
    assert first.doc is None and first.token is None
    token = store.write_if_unchanged({"watermark": "a"}, None)
    with pytest.raises(Conflict):
        store.write_if_unchanged({"watermark": "b"}, None)  # someone wrote it since "nothing" was read
    second = store.read()
    assert second.doc == {"version": 1, "watermark": "a"} and second.token == token
    store.write_if_unchanged({"watermark": "c"}, second.token)
    with pytest.raises(StateConflict):
        store.write_if_unchanged({"watermark": "d"}, second.token)  # a stale version
    assert store.read().doc == {"version": 1, "watermark": "c"}


def test_two_overlapping_runs_one_takes_the_lock_the_other_exits_8(s3: S3Server, bucket: str) -> None:
    url = f"s3://{bucket}/state.json"
    first = _start(url)
    assert first.stdout is not None and first.stdout.readline().strip() == "holding"
    second = _start(url)  # starts while the first one holds the lock
    out, err = second.communicate(timeout=60)
    assert second.returncode == 8, err
    assert out.startswith(f"locked: Another run holds {url}.lock")
    out, err = first.communicate("go\n", timeout=60)
    assert first.returncode == 0, err
    store = BucketJsonStore(RemoteUrl("s3", bucket, "state.json"), version=1)
    assert store.read().doc == {"version": 1, "runs": 1}  # the state moved once
    assert s3.keys(bucket) == ["state.json"]  # the lock is gone


def test_a_stale_lock_expires(s3: S3Server, bucket: str) -> None:
    store = BucketJsonStore(RemoteUrl("s3", bucket, "state.json"), version=1)
    crashed = json.dumps({"owner": "a-crashed-run", "expires_at": 1000.0})
    s3.client.put_object(Bucket=bucket, Key="state.json.lock", Body=crashed.encode())
    with store.lock(seconds=60):
        held = json.loads(s3.body(bucket, "state.json.lock"))
        assert held["owner"] != "a-crashed-run"
    assert s3.keys(bucket) == []


def test_a_live_lock_is_respected(s3: S3Server, bucket: str) -> None:
    store = BucketJsonStore(RemoteUrl("s3", bucket, "state.json"), version=1)
    with store.lock(seconds=600), pytest.raises(LockedError, match="Another run holds"):
        store.lock(seconds=600).__enter__()
    assert s3.keys(bucket) == []


def test_a_state_object_that_is_not_json_is_left_alone(s3: S3Server, bucket: str) -> None:
    s3.client.put_object(Bucket=bucket, Key="state.json", Body=b"\x00garbage")
    with pytest.raises(StateProblem, match="not valid JSON"):
        BucketJsonStore(RemoteUrl("s3", bucket, "state.json"), version=1).read()
    assert s3.body(bucket, "state.json") == b"\x00garbage"


def test_two_overlapping_incremental_runs_on_one_state_object(
    cli: Cli, sandbox: Sandbox, s3: S3Server, bucket: str, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run holds the state's lock while its file's upload is held; the second exits 8 at once,
    before submitting; the watermark moves once, after the first run's object committed."""
    state = f"s3://{bucket}/state/orders.json"
    args = ("order", "--since-last", state, "-o", f"s3://{bucket}/orders-{{id}}.csv", "--json")
    hold_data = lambda method, path: HOLD if method == "PUT" and "/orders-" in path else FORWARD  # noqa: E731
    with s3_proxy(s3.endpoint, hold_data) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        first = start_cli(sandbox, isolated, *args)
        assert proxy.held.wait(60), "the first run never reached its upload"
        assert "state/orders.json.lock" in s3.keys(bucket)
        monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)
        exports = cli.export_count()
        second = cli(*args)
        assert second.exit_code == 8, second.output
        assert f"Another run holds {state}.lock" in second.output
        assert cli.export_count() == exports  # refused before submitting
        assert "state/orders.json" not in s3.keys(bucket)  # no watermark while the object is not committed
        proxy.release.set()
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    document = json.loads(out)
    assert document["previous_watermark"] is None and document["state"] == state
    saved = json.loads(s3.body(bucket, "state/orders.json"))
    assert [entry["watermark"] for entry in saved["exports"].values()] == [document["watermark"]]
    assert sorted(s3.keys(bucket)) == sorted([document["output"].removeprefix(f"s3://{bucket}/"), "state/orders.json"])
    # The next run starts at the watermark. A process of its own, as the first: under `--clock` the test's own
    # process keeps its moved clock from its start, and may be a few hundred ms behind one started now, which
    # would read the first run's watermark as later than its own start (exit 2: "is the clock right?").
    again = start_cli(sandbox, isolated, *args)
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert json.loads(out)["previous_watermark"] == document["watermark"]


def test_a_crashed_runs_lock_on_the_state_object_expires(cli: Cli, s3: S3Server, bucket: str) -> None:
    crashed = json.dumps({"owner": "a-crashed-run", "expires_at": 1000.0})
    s3.client.put_object(Bucket=bucket, Key="state.json.lock", Body=crashed.encode())
    result = cli("order", "--since-last", f"s3://{bucket}/state.json", "-o", f"s3://{bucket}/o-{{id}}.csv", "--json")
    assert result.exit_code == 0, result.output
    assert "state.json.lock" not in s3.keys(bucket)
    assert "state.json" in s3.keys(bucket)


def test_the_state_on_azure_is_replaced_only_if_unchanged_and_locked_alike(azure: AzureServer, container: str) -> None:
    store = BucketJsonStore(RemoteUrl("az", container, "state.json"), version=1)
    token = store.write_if_unchanged({"watermark": "a"}, None)
    with pytest.raises(Conflict):
        store.write_if_unchanged({"watermark": "b"}, None)
    store.write_if_unchanged({"watermark": "c"}, token)
    with pytest.raises(Conflict):
        store.write_if_unchanged({"watermark": "d"}, token)
    assert store.read().doc == {"version": 1, "watermark": "c"}
    with store.lock(seconds=600), pytest.raises(LockedError, match="Another run holds"):
        store.lock(seconds=600).__enter__()
    assert azure.blobs(container) == ["state.json"]
