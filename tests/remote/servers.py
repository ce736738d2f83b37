"""Object stores the tests start: S3 on moto's server (ThreadedMotoServer), Azure on Azurite (npm).

Each is a real HTTP server on a free port of 127.0.0.1; exportctl reaches it through the environment the
clouds' own tools read (AWS_ENDPOINT_URL, AZURE_STORAGE_USE_EMULATOR with AZURITE_BLOB_STORAGE_URL).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

S3_KEY_ID = "testing-key-id"
S3_SECRET = "testing-secret-key-do-not-print"


@dataclass
class S3Server:
    """A running moto S3 server: its endpoint and a boto3 client to look at the buckets from outside."""

    endpoint: str
    client: Any

    def env(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": S3_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": "us-east-1",
        }

    def new_bucket(self) -> str:
        name = f"exports-{secrets.token_hex(6)}"
        self.client.create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        return [item["Key"] for item in self.client.list_objects_v2(Bucket=bucket).get("Contents", [])]

    def open_uploads(self, bucket: str) -> list[Any]:
        return list(self.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []))

    def head(self, bucket: str, key: str) -> dict[str, Any]:
        return dict(self.client.head_object(Bucket=bucket, Key=key))

    def body(self, bucket: str, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=bucket, Key=key)["Body"].read())


@contextmanager
def moto_s3() -> Iterator[S3Server]:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=S3_KEY_ID,
            aws_secret_access_key=S3_SECRET,
            region_name="us-east-1",
        )
        yield S3Server(endpoint, client)
    finally:
        server.stop()


def clean_cloud_env() -> dict[str, str]:
    """os.environ without any cloud credentials of the machine running the tests."""
    prefixes = ("AWS_", "AZURE_", "AZURITE_", "GOOGLE_", "STORAGE_EMULATOR_HOST", "EXPORTCTL_S3_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


# Azurite's well-known development account (documented by Microsoft; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
# Where .ci/run installs Azurite (npm install --prefix DIR azurite); EXPORTCTL_AZURITE names another binary.
AZURITE_PREFIX = Path.home() / ".cache" / "exportctl-tests" / "azurite"


def azurite_binary() -> str | None:
    import shutil

    named = os.environ.get("EXPORTCTL_AZURITE")
    if named:
        return named
    local = AZURITE_PREFIX / "node_modules" / ".bin" / "azurite-blob"
    if local.exists():
        return str(local)
    return shutil.which("azurite-blob")


@dataclass
class AzureServer:
    """A running Azurite blob service, and signed requests (Shared Key) to look at its containers."""

    endpoint: str

    def env(self) -> dict[str, str]:
        return {"AZURE_STORAGE_USE_EMULATOR": "true", "AZURITE_BLOB_STORAGE_URL": self.endpoint}

    def request(
        self, method: str, path: str, query: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        import base64
        import hashlib
        import hmac
        import http.client
        import urllib.parse
        from email.utils import formatdate

        query = query or {}
        sent = dict(headers or {})
        sent["x-ms-date"] = formatdate(usegmt=True)
        sent["x-ms-version"] = "2021-08-06"
        canonical_headers = "".join(f"{k.lower()}:{v}\n" for k, v in sorted(sent.items()) if k.startswith("x-ms-"))
        resource = f"/{AZURITE_ACCOUNT}/{AZURITE_ACCOUNT}{path}" + "".join(
            f"\n{k}:{v}" for k, v in sorted(query.items())
        )
        to_sign = "\n".join([method, *[""] * 11]) + "\n" + canonical_headers + resource
        digest = hmac.new(base64.b64decode(AZURITE_KEY), to_sign.encode(), hashlib.sha256).digest()
        sent["Authorization"] = f"SharedKey {AZURITE_ACCOUNT}:{base64.b64encode(digest).decode()}"
        target = urllib.parse.urlsplit(self.endpoint)
        connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
        url = f"/{AZURITE_ACCOUNT}{urllib.parse.quote(path)}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        connection.request(method, url, headers=sent)
        answer = connection.getresponse()
        body = answer.read()
        connection.close()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, body

    def new_container(self) -> str:
        name = f"exports-{secrets.token_hex(6)}"
        status, _headers, body = self.request("PUT", f"/{name}", {"restype": "container"})
        assert status == 201, body
        return name

    def blobs(self, container: str) -> list[str]:
        import re

        _status, _headers, body = self.request("GET", f"/{container}", {"restype": "container", "comp": "list"})
        return re.findall(r"<Name>([^<]*)</Name>", body.decode())

    def properties(self, container: str, blob: str) -> dict[str, str]:
        status, headers, _body = self.request("HEAD", f"/{container}/{blob}")
        assert status == 200, status
        return headers

    def body(self, container: str, blob: str) -> bytes:
        status, _headers, body = self.request("GET", f"/{container}/{blob}")
        assert status == 200, status
        return body


@contextmanager
def azurite(binary: str) -> Iterator[AzureServer]:
    import socket
    import subprocess
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            binary,
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--inMemoryPersistence",
            "--silent",
            "--skipApiVersionCheck",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Azurite did not start on port {port}") from None
                time.sleep(0.1)
        yield AzureServer(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
