"""Exports into Azure Blob Storage, on Azurite started by the tests: the same promises as for S3.

Azure has no multipart upload to abort: blocks are staged (Put Block) and the blob appears only at Put Block
List; an aborted upload leaves no blob (its uncommitted blocks are invisible and expire after a week).
"""

from __future__ import annotations

import hashlib
import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli
from tests.cli.test_fault_matrix import start_cli
from tests.remote.proxy import FAIL, FORWARD, HOLD, s3_proxy
from tests.remote.servers import AzureServer


def is_block(method: str, path: str) -> bool:
    return method == "PUT" and "comp=block&" in path + "&" and "blocklist" not in path


def is_blob_commit(method: str, path: str) -> bool:
    """Put Blob (one request) or Put Block List: the requests that make the blob appear."""
    return method == "PUT" and ("?" not in path or "comp=blocklist" in path)


def test_a_complete_export_lands_with_its_sha256(cli: Cli, azure: AzureServer, container: str) -> None:
    result = cli("voucher", "-o", f"az://{container}/nightly/{{object}}-{{id}}.csv", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    blob = document["output"].removeprefix(f"az://{container}/")
    assert azure.blobs(container) == [blob]
    body = azure.body(container, blob)
    assert azure.properties(container, blob)["x-ms-meta-sha256"] == document["sha256"]
    assert hashlib.sha256(body).hexdigest() == document["sha256"]


def test_an_existing_blob_is_refused_and_keeps_its_etag(
    cli: Cli, azure: AzureServer, container: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = cli("voucher", "-o", f"az://{container}/a.csv")
    assert first.exit_code == 0, first.output
    etag = azure.properties(container, "a.csv")["etag"]
    again = cli("voucher", "-o", f"az://{container}/a.csv")
    assert again.exit_code == 2
    assert f"az://{container}/a.csv already exists" in again.output
    assert azure.properties(container, "a.csv")["etag"] == etag


@pytest.mark.usefixtures("quick_backoff")
def test_a_broken_download_leaves_no_blob(cli: Cli, sandbox: Sandbox, azure: AzureServer, container: str) -> None:
    sandbox.faults.drop_download_after(3000, times=1)
    sandbox.faults.drop_download_after(0, times=None)
    result = cli("voucher", "-o", f"az://{container}/a.csv")
    assert result.exit_code == 7, result.output
    assert azure.blobs(container) == []


def test_an_error_mid_upload_leaves_no_blob(
    cli: Cli, azure: AzureServer, container: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store refuses a staged block (403): no Put Block List is sent, no blob appears."""
    monkeypatch.setenv("EXPORTCTL_UPLOAD_SINGLE_MAX", "0")
    with s3_proxy(azure.endpoint, lambda method, path: FAIL if is_block(method, path) else FORWARD) as proxy:
        monkeypatch.setenv("AZURITE_BLOB_STORAGE_URL", proxy.endpoint)
        result = cli("voucher", "-o", f"az://{container}/a.csv")
        assert not any("comp=blocklist" in path for _method, path in proxy.seen)
    assert result.exit_code == 1, result.output
    assert f"Cannot write az://{container}/a.csv (uploading)" in result.output
    assert "403 Forbidden" in result.output
    assert f"Nothing was written to az://{container}/a.csv" in result.output
    assert azure.blobs(container) == []


@pytest.mark.parametrize("single_max", ["", "0"], ids=["put-blob", "block-list"])
def test_sigterm_during_the_upload_leaves_no_blob(
    sandbox: Sandbox,
    azure: AzureServer,
    container: str,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
    single_max: str,
) -> None:
    monkeypatch.setenv("EXPORTCTL_UPLOAD_SINGLE_MAX", single_max)
    held: Callable[[str, str], str] = lambda method, path: HOLD if is_blob_commit(method, path) else FORWARD  # noqa: E731
    with s3_proxy(azure.endpoint, held) as proxy:
        monkeypatch.setenv("AZURITE_BLOB_STORAGE_URL", proxy.endpoint)
        process = start_cli(sandbox, isolated, "voucher", "-o", f"az://{container}/a.csv", "--json")
        assert proxy.held.wait(60), "the upload never reached the proxy"
        process.send_signal(signal.SIGTERM)
        proxy.release.set()
        out, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert json.loads(out)["interrupted"] == "SIGTERM"
    assert azure.blobs(container) == []
