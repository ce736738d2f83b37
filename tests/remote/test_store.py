"""The store each URL builds, from the environment only; GCS is covered here in part (see the README).

No GCS emulator that obstore can write to installs from PyPI or npm: fake-gcs-server (a Go binary, also
wrapped in a wheel) answers obstore's XML-API uploads with 400 "invalid uploadType". So gs:// is tested up to
the store: the URL, the store built from STORAGE_EMULATOR_HOST, and the same code path as s3:// and az://
reaching it before anything is submitted.
"""

from __future__ import annotations

import pytest

from exportctl.errors import OutputError, UsageError
from exportctl.remote import store
from exportctl.remote.upload import refuse_existing
from exportctl.remote.urls import parse_url
from tests.cli.conftest import Cli
from tests.remote.servers import S3_SECRET, S3Server


@pytest.mark.parametrize("url", ["s3://bucket-1/a.csv", "gs://bucket-1/a.csv", "az://bucket-1/a.csv"])
def test_each_cloud_builds_its_store_from_the_environment(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:1")
    monkeypatch.setenv("AZURE_STORAGE_USE_EMULATOR", "true")
    built = store.open_store(parse_url(url))
    assert type(built).__name__ == {"s3": "S3Store", "gs": "GCSStore", "az": "AzureStore"}[url[:2]]


def test_an_unreachable_gcs_is_an_error_before_the_export_is_created(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, refused_port: int
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{refused_port}")
    exports = cli.export_count()
    result = cli("voucher", "-o", "gs://bucket-1/a.csv")
    assert result.exit_code == 1, result.output
    assert "Cannot write gs://bucket-1/a.csv (checking whether it exists)" in result.output
    assert cli.export_count() == exports


def test_the_exportctl_endpoint_wins_and_no_secret_is_shown(
    s3: S3Server, bucket: str, monkeypatch: pytest.MonkeyPatch, refused_port: int
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{refused_port}")
    monkeypatch.setenv("EXPORTCTL_S3_ENDPOINT", s3.endpoint)
    refuse_existing(parse_url(f"s3://{bucket}/a.csv"), force=False)  # reached moto: no error
    monkeypatch.setenv("EXPORTCTL_S3_ENDPOINT", f"http://user:{S3_SECRET}@127.0.0.1:{refused_port}")
    with pytest.raises((OutputError, UsageError)) as caught:
        refuse_existing(parse_url(f"s3://{bucket}/a.csv"), force=False)
    assert S3_SECRET not in str(caught.value)


def test_without_the_extra_the_message_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "obstore" else real(name, *a))
    with pytest.raises(UsageError) as caught:
        store.open_store(parse_url("s3://bucket-1/a.csv"))
    assert caught.value.hint == "pip install 'exportctl[cloud]'"
