"""Exports into an S3 bucket (moto's server): complete or not at all, the checksum on the object, no open upload.

Every door: `-o s3://...`, `--output-dir s3://...`, templates, typed output, run files, the library's `output=`.
"""

from __future__ import annotations

import hashlib
import json
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli
from tests.cli.test_fault_matrix import start_cli
from tests.remote.proxy import FAIL, FORWARD, HOLD, is_commit, is_part, s3_proxy
from tests.remote.servers import S3_SECRET, S3Server


def _landed(s3: S3Server, bucket: str, document: dict[str, object]) -> str:
    """The key of the one object in `bucket`, checked against the --json document (bytes and sha256)."""
    output = str(document["output"])
    key = output.removeprefix(f"s3://{bucket}/")
    assert s3.keys(bucket) == [key]
    body = s3.body(bucket, key)
    assert s3.head(bucket, key)["Metadata"]["sha256"] == document["sha256"] == hashlib.sha256(body).hexdigest()
    assert s3.open_uploads(bucket) == []
    return key


def test_a_complete_export_lands_with_its_sha256(
    cli: Cli, s3: S3Server, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))  # this run's TMPDIR: other tests' runs stay out
    result = cli("voucher", "-o", f"s3://{bucket}/nightly/{{object}}-{{id}}.csv", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    key = _landed(s3, bucket, document)
    assert key.startswith("nightly/voucher-exp_") and key.endswith(".csv")
    assert document["rows"] == s3.body(bucket, key).count(b"\n") - 1
    assert list(private.iterdir()) == []  # the private directory is gone


def test_the_terminal_names_the_bucket_not_a_temporary_path(cli: Cli, s3: S3Server, bucket: str) -> None:
    result = cli("voucher", "-o", f"s3://{bucket}/a.csv")
    assert result.exit_code == 0, result.output
    assert f"to s3://{bucket}/a.csv" in result.output
    assert "exportctl-upload-" not in result.output


def test_output_dir_in_a_bucket_holds_the_default_name(cli: Cli, s3: S3Server, bucket: str) -> None:
    result = cli("customer", "--output-dir", f"s3://{bucket}/daily/", "--json")
    assert result.exit_code == 0, result.output
    assert _landed(s3, bucket, json.loads(result.stdout)).startswith("daily/customer-exp_")


def test_a_typed_export_lands_typed(cli: Cli, s3: S3Server, bucket: str) -> None:
    result = cli("voucher", "--format", "jsonl", "-o", f"s3://{bucket}/v.jsonl", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    key = _landed(s3, bucket, document)
    first = json.loads(s3.body(bucket, key).splitlines()[0])
    assert "code" in first


def test_dry_run_names_the_object_and_sends_nothing(cli: Cli, s3: S3Server, bucket: str) -> None:
    exports = cli.export_count()
    result = cli("voucher", "-o", f"s3://{bucket}/v-{{date}}.csv", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["output"].startswith(f"s3://{bucket}/v-20")
    assert cli.export_count() == exports


def test_an_existing_object_is_refused_before_submitting(cli: Cli, s3: S3Server, bucket: str) -> None:
    s3.client.put_object(Bucket=bucket, Key="a.csv", Body=b"keep me")
    etag = s3.head(bucket, "a.csv")["ETag"]
    exports = cli.export_count()
    result = cli("voucher", "-o", f"s3://{bucket}/a.csv")
    assert result.exit_code == 2
    assert f"s3://{bucket}/a.csv already exists" in result.output
    assert cli.export_count() == exports  # nothing was submitted
    assert s3.head(bucket, "a.csv")["ETag"] == etag
    forced = cli("voucher", "-o", f"s3://{bucket}/a.csv", "--force", "--json")
    assert forced.exit_code == 0, forced.output
    _landed(s3, bucket, json.loads(forced.stdout))


def test_a_bad_url_is_refused_before_submitting(cli: Cli, s3: S3Server, bucket: str) -> None:
    exports = cli.export_count()
    result = cli("voucher", "-o", f"s3://{bucket}/../x.csv")
    assert result.exit_code == 2
    assert "s3://BUCKET/KEY" in result.output
    assert cli.export_count() == exports


@pytest.mark.usefixtures("quick_backoff")
def test_a_broken_download_leaves_no_object(cli: Cli, sandbox: Sandbox, s3: S3Server, bucket: str) -> None:
    sandbox.faults.drop_download_after(3000, times=1)
    sandbox.faults.drop_download_after(0, times=None)  # then no attempt brings a new byte: exit 7
    result = cli("voucher", "-o", f"s3://{bucket}/a.csv", "--json")
    assert result.exit_code == 7, result.output
    assert s3.keys(bucket) == []
    assert s3.open_uploads(bucket) == []
    # The hint names the bucket, not the removed directory, and the command it gives lands the file there.
    assert "exportctl-upload-" not in result.output
    document = json.loads(result.stdout)
    hint = document["hint"]
    assert f"exportctl download {document['export_id']} -o s3://{bucket}/a.csv" in hint
    sandbox.faults.reset()
    again = cli("download", document["export_id"], "-o", f"s3://{bucket}/a.csv", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["output"] == f"s3://{bucket}/a.csv"
    _landed(s3, bucket, json.loads(again.stdout))


def test_the_library_writes_to_a_bucket(
    sandbox: Sandbox, s3: S3Server, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import exportctl

    monkeypatch.setenv("VOUCHERIFY_APP_ID", sandbox.app_id)
    monkeypatch.setenv("VOUCHERIFY_APP_TOKEN", sandbox.secret_key)
    monkeypatch.setenv("VOUCHERIFY_API_BASE_URL", sandbox.base_url)
    result = exportctl.export("voucher", output=f"s3://{bucket}/lib/{{object}}.csv")
    assert result.output == f"s3://{bucket}/lib/voucher.csv"
    _landed(s3, bucket, result.summary)


def test_a_run_file_writes_to_a_bucket(cli: Cli, s3: S3Server, bucket: str, isolated: Path) -> None:
    (isolated / "nightly.yaml").write_text(
        f"defaults:\n  output_dir: s3://{bucket}/runs\nexports:\n  - name: v\n    object: voucher\n    output: v.csv\n"
        "  - name: c\n    object: customer\n    output: c.csv\n"
    )
    result = cli("run", "nightly.yaml", "--json")
    assert result.exit_code == 0, result.output
    assert sorted(s3.keys(bucket)) == ["runs/c.csv", "runs/v.csv"]


@pytest.mark.parametrize(("single_max", "held"), [("", is_commit), ("0", is_part)], ids=["one-put", "multipart"])
def test_sigterm_during_the_upload_leaves_no_object(
    sandbox: Sandbox,
    s3: S3Server,
    bucket: str,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
    single_max: str,
    held: Callable[[str, str], bool],
) -> None:
    """SIGTERM while a request of the upload is on the wire (held by the proxy until the signal was sent): the
    run ends 143 and, when the request went through after all, removes what its upload created."""
    monkeypatch.setenv("EXPORTCTL_UPLOAD_SINGLE_MAX", single_max)
    with s3_proxy(s3.endpoint, lambda method, path: HOLD if held(method, path) else FORWARD) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        process = start_cli(sandbox, isolated, "voucher", "-o", f"s3://{bucket}/a.csv", "--json")
        assert proxy.held.wait(60), "the upload never reached the proxy"
        process.send_signal(signal.SIGTERM)
        proxy.release.set()  # the held PUT goes through: the object exists for a moment
        out, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    document = json.loads(out)
    assert document["exit_code"] == 143 and document["interrupted"] == "SIGTERM"
    assert f"Interrupted while uploading export {document['export_id']} to s3://{bucket}/a.csv" in err
    assert s3.keys(bucket) == []
    assert s3.open_uploads(bucket) == []
    assert S3_SECRET not in out + err


def test_a_split_export_lands_as_one_object(cli: Cli, s3: S3Server, bucket: str) -> None:
    result = cli(
        "order", "--since", "2026-01-01", "--until", "2026-04-01", "--split-by", "month",
        "-o", f"s3://{bucket}/orders-{{date}}.csv", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert len(document["windows"]) == 3
    key = _landed(s3, bucket, document)
    assert s3.body(bucket, key).count(b"\n") - 1 == document["rows"]


def test_the_watermark_moves_only_once_the_object_committed(
    cli: Cli, s3: S3Server, bucket: str, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store refuses the object's PUT (403): exit 1, no watermark; the next run exports the same range."""
    target = f"s3://{bucket}/orders-{{time}}-{{id}}.csv"
    with s3_proxy(s3.endpoint, lambda method, path: FAIL if is_commit(method, path) else FORWARD) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        failed = cli("order", "--since-last", "state.json", "-o", target, "--json")
    assert failed.exit_code == 1, failed.output
    assert json.loads(failed.stdout)["error"].startswith(f"Cannot write s3://{bucket}/orders-")
    state = isolated / "state.json"
    assert not state.exists() or "watermark" not in state.read_text()
    assert s3.keys(bucket) == []
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)
    done = cli("order", "--since-last", "state.json", "-o", target, "--json")
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["previous_watermark"] is None  # the failed run moved nothing
    _landed(s3, bucket, document)
    assert document["output"] in state.read_text()  # the state names the object, as it names a file


def test_a_hostile_state_url_is_refused_offline(cli: Cli, s3: S3Server, bucket: str, isolated: Path) -> None:
    exports = cli.export_count()
    result = cli("order", "--since-last", f"s3://{bucket}/../state.json", "-o", f"s3://{bucket}/o-{{id}}.csv")
    assert result.exit_code == 2
    assert "--since-last" in result.output and "s3://BUCKET/KEY" in result.output
    assert not (isolated / "s3:").exists()
    assert cli.export_count() == exports


def test_a_gz_key_lands_compressed_with_the_csvs_sha256(cli: Cli, s3: S3Server, bucket: str) -> None:
    import gzip

    result = cli("voucher", "-o", f"s3://{bucket}/v.csv.gz", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    csv = gzip.decompress(s3.body(bucket, "v.csv.gz"))
    assert hashlib.sha256(csv).hexdigest() == document["sha256"]
    assert s3.head(bucket, "v.csv.gz")["Metadata"]["sha256"] == document["sha256"]
    assert s3.head(bucket, "v.csv.gz")["ContentType"] == "application/gzip"


def test_a_bucket_url_that_lost_a_slash_is_refused(
    sandbox: Sandbox, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import exportctl

    monkeypatch.setenv("VOUCHERIFY_APP_ID", sandbox.app_id)
    monkeypatch.setenv("VOUCHERIFY_APP_TOKEN", sandbox.secret_key)
    monkeypatch.setenv("VOUCHERIFY_API_BASE_URL", sandbox.base_url)
    with pytest.raises(exportctl.UsageError, match="lost a slash"):
        exportctl.export("voucher", output=Path("s3://bucket-1/a.csv"))
    assert not (isolated / "s3:").exists()


def test_doctor_checks_write_access_to_a_bucket(cli: Cli, s3: S3Server, bucket: str) -> None:
    result = cli("doctor", "--bucket", f"s3://{bucket}/exports/", "--json")
    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert checks["bucket"]["level"] == "ok", checks["bucket"]
    assert f"s3://{bucket}/exports/.exportctl-doctor-" in checks["bucket"]["detail"]
    assert "AbortIncompleteMultipartUpload" in checks["bucket clean-up"]["fix"]
    assert s3.keys(bucket) == []  # the probe object is gone
    missing = cli("doctor", "--bucket", "s3://exports-not-there/x", "--json")
    assert missing.exit_code == 1
    failed = {check["name"]: check for check in json.loads(missing.stdout)["checks"]}["bucket"]
    assert failed["level"] == "fail" and "exports-not-there" in failed["detail"]
    assert S3_SECRET not in missing.output
