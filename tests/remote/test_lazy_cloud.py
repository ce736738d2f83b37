"""The cloud extra costs nothing until a bucket is written: --help and a bucket's dry run never import obstore."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "args", [["--help"], ["voucher", "--dry-run", "-o", "s3://bucket-1/{object}-{date}.csv"]], ids=["help", "dry-run"]
)
def test_obstore_is_not_imported(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "exportctl", *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "exportctl.cli.app" in imported  # the probe sees the package's imports
    assert not {name for name in imported if name.split(".")[0] in ("obstore", "boto3", "moto")}
