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
