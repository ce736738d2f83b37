"""The state document in a bucket, on moto's S3: compare-and-swap writes and a lock object that expires.

Real processes for the overlapping runs: two interpreters try to take one lock at the same moment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from exportctl.errors import LockedError, UsageError
from exportctl.remote.state import BucketJsonStore, StateConflict
from exportctl.remote.urls import RemoteUrl
from tests.remote.servers import S3Server

TAKE_LOCK = """
import sys
from exportctl.remote.state import BucketJsonStore
from exportctl.remote.urls import parse_url
from exportctl.errors import LockedError
store = BucketJsonStore(parse_url(sys.argv[1]))
try:
    with store.lock(seconds=600):
        print("holding", flush=True)
        sys.stdin.readline()  # the test says when this run ends
        snapshot = store.read()
        store.write_if_unchanged(dict(snapshot.doc, runs=snapshot.doc.get("runs", 0) + 1), snapshot.token)
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
    store = BucketJsonStore(RemoteUrl("s3", bucket, "state/orders.json"))
    first = store.read()
    assert first == ({}, None)
    token = store.write_if_unchanged({"watermark": "a"}, None)
    with pytest.raises(StateConflict):
        store.write_if_unchanged({"watermark": "b"}, None)  # someone wrote it since "nothing" was read
    second = store.read()
    assert second.doc == {"watermark": "a"} and second.token == token
    store.write_if_unchanged({"watermark": "c"}, second.token)
    with pytest.raises(StateConflict):
        store.write_if_unchanged({"watermark": "d"}, second.token)  # a stale version
    assert store.read().doc == {"watermark": "c"}


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
    store = BucketJsonStore(RemoteUrl("s3", bucket, "state.json"))
    assert store.read().doc == {"runs": 1}  # the state moved once
    assert s3.keys(bucket) == ["state.json"]  # the lock is gone


def test_a_stale_lock_expires(s3: S3Server, bucket: str) -> None:
    store = BucketJsonStore(RemoteUrl("s3", bucket, "state.json"))
    crashed = json.dumps({"owner": "a-crashed-run", "expires_at": 1000.0})
    s3.client.put_object(Bucket=bucket, Key="state.json.lock", Body=crashed.encode())
    with store.lock(seconds=60):
        held = json.loads(s3.body(bucket, "state.json.lock"))
        assert held["owner"] != "a-crashed-run"
    assert s3.keys(bucket) == []


def test_a_live_lock_is_respected(s3: S3Server, bucket: str) -> None:
    store = BucketJsonStore(RemoteUrl("s3", bucket, "state.json"))
    with store.lock(seconds=600), pytest.raises(LockedError, match="Another run holds"):
        store.lock(seconds=600).__enter__()
    assert s3.keys(bucket) == []


def test_a_state_object_that_is_not_json_is_left_alone(s3: S3Server, bucket: str) -> None:
    s3.client.put_object(Bucket=bucket, Key="state.json", Body=b"\x00garbage")
    with pytest.raises(UsageError, match="not a JSON state document"):
        BucketJsonStore(RemoteUrl("s3", bucket, "state.json")).read()
    assert s3.body(bucket, "state.json") == b"\x00garbage"
