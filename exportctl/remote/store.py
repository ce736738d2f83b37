"""The object store of a bucket URL, from each cloud's standard credential chain; store errors as exportctl's.

Credentials are never options or URL parts: obstore reads them the way each cloud's own tools do.

- S3: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, web identity (EKS), the ECS container
  and EC2 instance metadata; `AWS_REGION`; `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`, or exportctl's own
  `EXPORTCTL_S3_ENDPOINT`, which wins) for an S3-compatible store (MinIO, R2, Ceph); an `http://` endpoint
  is allowed as given.
- GCS: `GOOGLE_APPLICATION_CREDENTIALS` / `GOOGLE_SERVICE_ACCOUNT(_KEY)`, the metadata server;
  `STORAGE_EMULATOR_HOST` (the Google SDKs' emulator variable) or `GOOGLE_BASE_URL`.
- Azure: `AZURE_STORAGE_ACCOUNT_NAME` with `AZURE_STORAGE_ACCOUNT_KEY`, a SAS, a service principal or a
  managed identity; `AZURE_STORAGE_USE_EMULATOR=true` (with `AZURITE_BLOB_STORAGE_URL`) for Azurite.

Messages carry the store's own reason, its first line only, with every secret of the environment masked.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from exportctl.errors import OutputError, UsageError
from exportctl.masking import mask, printable
from exportctl.remote.urls import RemoteUrl

if TYPE_CHECKING:
    from obstore.store import ClientConfig, GCSCredential, ObjectStore

# Environment variables whose values never appear in a message, whatever the store's error says.
SECRET_VARIABLES = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_SAS_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_TOKEN",
    "AZURE_CLIENT_SECRET",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
)
INSTALL_HINT = "pip install 'exportctl[cloud]'"


def check_extra() -> None:
    """UsageError naming the install command when obstore (the `cloud` extra) is missing."""
    import importlib.util

    if importlib.util.find_spec("obstore") is None:
        raise UsageError("Writing to a bucket needs the optional 'cloud' extra (obstore).", hint=INSTALL_HINT)


def s3_endpoint() -> str | None:
    """The S3-compatible endpoint the environment names, if any."""
    for name in ("EXPORTCTL_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def open_store(url: RemoteUrl) -> ObjectStore:
    """The store of `url`'s bucket, built from the environment; UsageError for a configuration it refuses."""
    check_extra()
    from obstore.exceptions import BaseError

    try:
        return _build(url)
    except (BaseError, ValueError, TypeError) as exc:
        raise UsageError(f"Cannot use {url.bucket_url}: {describe(exc)}", hint=_credential_hint(url)) from None


def _build(url: RemoteUrl) -> ObjectStore:
    client_options: ClientConfig = {}
    if url.scheme == "s3":
        from obstore.store import S3Store

        endpoint = s3_endpoint()
        if endpoint is not None and endpoint.startswith("http://"):
            client_options["allow_http"] = True
        if endpoint is not None:
            return S3Store(url.bucket, endpoint=endpoint, client_options=client_options)
        return S3Store(url.bucket, client_options=client_options)
    if url.scheme == "gs":
        from obstore.store import GCSStore

        emulator = os.environ.get("STORAGE_EMULATOR_HOST", "").strip()
        if emulator:
            base = emulator if "://" in emulator else f"http://{emulator}"
            if base.startswith("http://"):
                client_options["allow_http"] = True
            # An emulator takes any bearer token; without one obstore asks the metadata server for one.
            return GCSStore(
                url.bucket, base_url=base, credential_provider=_emulator_token, client_options=client_options
            )
        return GCSStore(url.bucket, client_options=client_options)
    from obstore.store import AzureStore

    if os.environ.get("AZURE_STORAGE_USE_EMULATOR", "").lower() in ("1", "true", "yes"):
        client_options["allow_http"] = True
    return AzureStore(url.bucket, client_options=client_options)


def _emulator_token() -> GCSCredential:
    return {"token": "emulator", "expires_at": None}


def _credential_hint(url: RemoteUrl) -> str:
    return {
        "s3": "Set AWS credentials as the AWS CLI reads them (AWS_ACCESS_KEY_ID, ...) and AWS_ENDPOINT_URL "
        "for an S3-compatible store.",
        "gs": "Set GOOGLE_APPLICATION_CREDENTIALS (or run where the metadata server answers).",
        "az": "Set AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY (or a SAS or service principal).",
    }[url.scheme]


def describe(exc: BaseException) -> str:
    """The store's reason, one line, printable, with the environment's secrets and URL tokens masked."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    secrets = [os.environ.get(name) for name in SECRET_VARIABLES]
    return printable(mask(text[:400], secrets))


def store_error(exc: BaseException, url: RemoteUrl, doing: str) -> OutputError:
    """An obstore error while `doing` (e.g. "uploading") as OutputError saying nothing was written."""
    return OutputError(f"Cannot write {url} ({doing}): {describe(exc)} Nothing was written to {url}.")
