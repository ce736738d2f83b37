"""The upload commits the object whole or not at all, on moto's S3 server (and a hostile proxy before it)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from exportctl.errors import OutputError, UsageError
from exportctl.remote.upload import upload_file
from exportctl.remote.urls import RemoteUrl
from tests.remote.proxy import FAIL, FORWARD, is_part, s3_proxy
from tests.remote.servers import S3_SECRET, S3Server


def _file(tmp_path: Path, size: int) -> tuple[Path, str]:
    path = tmp_path / "export.csv"
    data = os.urandom(size)
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def test_a_small_file_is_one_put_with_its_sha256(s3: S3Server, bucket: str, tmp_path: Path) -> None:
    path, sha = _file(tmp_path, 1000)
    done = upload_file(path, RemoteUrl("s3", bucket, "a/b.csv"), sha256=sha)
    assert not done.multipart and done.bytes == 1000
    assert s3.head(bucket, "a/b.csv")["Metadata"]["sha256"] == sha
    assert s3.head(bucket, "a/b.csv")["ContentType"] == "text/csv"
    assert s3.body(bucket, "a/b.csv") == path.read_bytes()


def test_a_big_file_goes_in_parts_and_lands_whole(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPORTCTL_UPLOAD_SINGLE_MAX", "0")
    monkeypatch.setattr("exportctl.remote.upload.PART_SIZE", 5 * 1024 * 1024)
    path, sha = _file(tmp_path, 11 * 1024 * 1024)
    done = upload_file(path, RemoteUrl("s3", bucket, "big.csv"), sha256=sha)
    assert done.multipart
    assert hashlib.sha256(s3.body(bucket, "big.csv")).hexdigest() == sha
    assert s3.head(bucket, "big.csv")["Metadata"]["sha256"] == sha
    assert s3.open_uploads(bucket) == []


@pytest.mark.parametrize("single_max", ["0", ""])
def test_an_existing_object_is_refused_and_keeps_its_etag(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, single_max: str
) -> None:
    monkeypatch.setenv("EXPORTCTL_UPLOAD_SINGLE_MAX", single_max)
    s3.client.put_object(Bucket=bucket, Key="a.csv", Body=b"someone else's file")
    before = s3.head(bucket, "a.csv")["ETag"]
    path, sha = _file(tmp_path, 100)
    with pytest.raises(UsageError, match=r"already exists"):
        upload_file(path, RemoteUrl("s3", bucket, "a.csv"), sha256=sha)
    assert s3.head(bucket, "a.csv")["ETag"] == before
    assert s3.body(bucket, "a.csv") == b"someone else's file"
    assert s3.open_uploads(bucket) == []


def test_force_replaces_an_existing_object(s3: S3Server, bucket: str, tmp_path: Path) -> None:
    s3.client.put_object(Bucket=bucket, Key="a.csv", Body=b"old")
    path, sha = _file(tmp_path, 100)
    upload_file(path, RemoteUrl("s3", bucket, "a.csv"), sha256=sha, force=True)
    assert s3.body(bucket, "a.csv") == path.read_bytes()


@pytest.mark.parametrize("single_max", ["0", ""])
def test_a_file_that_is_not_the_one_verified_is_never_committed(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, single_max: str
) -> None:
    monkeypatch.setenv("EXPORTCTL_UPLOAD_SINGLE_MAX", single_max)
    path, _sha = _file(tmp_path, 1000)
    with pytest.raises(OutputError, match="is not the file that was downloaded"):
        upload_file(path, RemoteUrl("s3", bucket, "a.csv"), sha256="0" * 64)
    assert s3.keys(bucket) == []
    assert s3.open_uploads(bucket) == []


def test_an_error_mid_upload_leaves_no_object_and_no_open_upload(
    s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second part is refused (403): the upload is aborted on the server, nothing appears."""
    monkeypatch.setenv("EXPORTCTL_UPLOAD_SINGLE_MAX", "0")
    monkeypatch.setattr("exportctl.remote.upload.PART_SIZE", 5 * 1024 * 1024)
    monkeypatch.setattr("exportctl.remote.upload.PARTS_IN_FLIGHT", 1)
    parts = [0]

    def second_part_fails(method: str, path: str) -> str:
        if is_part(method, path):
            parts[0] += 1
            return FAIL if parts[0] == 2 else FORWARD
        return FORWARD

    path, sha = _file(tmp_path, 16 * 1024 * 1024)
    with s3_proxy(s3.endpoint, second_part_fails) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        with pytest.raises(OutputError) as caught:
            upload_file(path, RemoteUrl("s3", bucket, "big.csv"), sha256=sha)
        assert any(method == "DELETE" and "uploadId=" in where for method, where in proxy.seen)
    message = str(caught.value)
    assert f"Cannot write s3://{bucket}/big.csv (uploading)" in message and "403 Forbidden" in message
    assert f"Nothing was written to s3://{bucket}/big.csv" in message
    assert S3_SECRET not in message
    assert s3.keys(bucket) == []
    assert s3.open_uploads(bucket) == []


def test_a_missing_bucket_is_named(s3: S3Server, tmp_path: Path) -> None:
    path, sha = _file(tmp_path, 10)
    with pytest.raises(OutputError, match="exports-missing"):
        upload_file(path, RemoteUrl("s3", "exports-missing", "a.csv"), sha256=sha)


def test_a_bad_single_put_limit_is_refused(s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORTCTL_UPLOAD_SINGLE_MAX", "lots")
    path, sha = _file(tmp_path, 10)
    with pytest.raises(UsageError, match="EXPORTCTL_UPLOAD_SINGLE_MAX"):
        upload_file(path, RemoteUrl("s3", "exports-x", "a.csv"), sha256=sha)
