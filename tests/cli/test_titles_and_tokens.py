"""End to end through the CLI: the titles real exports write, `--headers fields`, and download URLs that expire."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import requests

from exportctl.sandbox import Sandbox
from tests.conftest import start_sandbox

from .conftest import Cli

TTL = 1.0
VOUCHER_FIELDS = "id,code,voucher_type,value,redemption_quantity,loyalty_balance,bar_code,created_at,updated_at"


def test_voucher_csv_has_the_titles_real_exports_write(cli: Cli) -> None:
    result = cli("voucher", "--fields", VOUCHER_FIELDS, "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "ID,Code,Voucher Type,Value,Redemption Limit,Loyalty Card Balance,Barcode,Creation Date,Last Update Date"
    )


def test_headers_fields_maps_the_real_titles_back_and_keeps_metadata_keys(cli: Cli, isolated: Path) -> None:
    result = cli("voucher", "--fields", VOUCHER_FIELDS, "--headers", "fields", "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == VOUCHER_FIELDS
    # A field name longer than its title (redemption_quantity) must not make the saved file look short.
    result = cli("voucher", "--fields", VOUCHER_FIELDS, "--headers", "fields", "-o", "v.csv")
    assert result.exit_code == 0, result.output
    saved = (isolated / "v.csv").read_text(encoding="utf-8").splitlines()
    assert saved[0] == VOUCHER_FIELDS and saved[1:] == result_rows(cli)
    # Without --fields the defaults are exported; their titles map back too.
    result = cli("voucher", "--headers", "fields", "-o", "-")
    assert result.stdout.splitlines()[0] == "code,voucher_type,value,discount_type"
    result = cli("voucher", "--fields", "code,metadata,created_at", "--headers", "fields", "-o", "-")
    assert result.stdout.splitlines()[0] == "code,batch,channel,region,created_at"


def result_rows(cli: Cli) -> list[str]:
    """The data lines of the same export with the API's header, for comparison."""
    result = cli("voucher", "--fields", VOUCHER_FIELDS, "-o", "-")
    return result.stdout.splitlines()[1:]


@pytest.fixture(scope="module")
def short_lived() -> Iterator[tuple[Sandbox, list[str]]]:
    """A sandbox whose download URLs last one second, with its access log."""
    log: list[str] = []
    with start_sandbox(token_ttl=TTL, access_log=log.append) as running:
        yield running, log


@pytest.fixture
def expiring(short_lived: tuple[Sandbox, list[str]]) -> Iterator[tuple[Cli, Sandbox, list[str]]]:
    sandbox, log = short_lived
    sandbox.faults.reset()
    log.clear()
    yield Cli(sandbox), sandbox, log
    sandbox.faults.reset()


def _file(sandbox: Sandbox, export_id: str) -> bytes:
    return (sandbox.data_dir / f"{export_id}.csv").read_bytes()


def test_download_long_after_the_url_expired_saves_the_whole_file(
    expiring: tuple[Cli, Sandbox, list[str]], isolated: Path
) -> None:
    cli, sandbox, _ = expiring
    submitted = cli("voucher", "--fields", "code,value,metadata", "--no-wait")
    assert submitted.exit_code == 0, submitted.output
    export_id = submitted.stdout.strip()
    assert cli("wait", export_id).exit_code == 0
    url = requests.get(f"{sandbox.base_url}/v1/exports/{export_id}", headers=sandbox.headers, timeout=10).json()
    time.sleep(TTL + 0.3)
    assert requests.get(url["result"]["url"], headers=sandbox.headers, timeout=10).status_code == 401
    result = cli("download", export_id, "-o", "vouchers.csv")
    assert result.exit_code == 0, result.output
    assert (isolated / "vouchers.csv").read_bytes() == _file(sandbox, export_id)


def test_a_download_broken_after_its_url_expired_refreshes_the_url_and_resumes(
    expiring: tuple[Cli, Sandbox, list[str]], isolated: Path
) -> None:
    cli, sandbox, log = expiring
    # The first download pauses past the URL's lifetime, then breaks: the retry meets a real expiry.
    sandbox.faults.stall_download_after(2000, TTL + 0.5)
    sandbox.faults.drop_download_after(4000)
    result = cli("voucher", "--fields", "code,value,metadata,qr_code", "-o", "vouchers.csv", "--json")
    assert result.exit_code == 0, result.output
    export_id = json.loads(result.stdout)["export_id"]
    downloads = [line for line in log if "?token=" in line]
    statuses = [line.rsplit('" ', 1)[1].split()[0] for line in downloads]
    assert statuses == ["200", "401", "206"], downloads
    saved = (isolated / "vouchers.csv").read_bytes()
    assert len(saved) > 4000
    assert saved == _file(sandbox, export_id)


def _days_with_other_metadata_keys(cli: Cli) -> tuple[str, str]:
    """The closest two days with vouchers whose metadata keys differ: their windows get different columns."""
    keys_by_day: dict[str, set[str]] = {}
    for day, metadata in cli.sandbox.store.rows("SELECT substr(created_at, 1, 10), metadata FROM vouchers"):
        keys_by_day.setdefault(day, set()).update(json.loads(metadata))
    days = sorted(keys_by_day)
    first, last = min(
        ((a, b) for a, b in pairwise(days) if keys_by_day[a] != keys_by_day[b]),
        key=lambda pair: date.fromisoformat(pair[1]) - date.fromisoformat(pair[0]),
    )
    return first, (date.fromisoformat(last) + timedelta(days=1)).isoformat()


def _records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("headers", ["api", "fields"])
def test_a_split_whose_windows_got_different_metadata_columns_is_joined_by_column_name(
    cli: Cli, isolated: Path, headers: str
) -> None:
    since, until = _days_with_other_metadata_keys(cli)
    common = ("voucher", "--fields", "code,metadata,created_at", "--order", "created_at", "--headers", headers)
    window = ("--since", since, "--until", until)
    result = cli(*common, "--split-by", "day", *window, "-o", "joined.csv", "--json")
    assert result.exit_code == 0, result.output
    saved = (isolated / "joined.csv").read_bytes()
    summary = json.loads(result.stdout)
    assert summary["sha256"] == hashlib.sha256(saved).hexdigest() and summary["bytes"] == len(saved)
    joined = _records(saved.decode("utf-8"))
    assert summary["rows"] == len(joined) == sum(w["rows"] for w in summary["windows"])
    # One export of the whole range holds the same records; each cell sits under its own header.
    whole = _records(cli(*common, *window, "-o", "-").stdout)
    assert [{k: v for k, v in row.items() if v} for row in joined] == [
        {k: v for k, v in row.items() if v} for row in whole
    ]
    # The column order: the first window's columns, then new ones in order of first appearance.
    columns: list[str] = []
    for day in (w["since"][:10] for w in summary["windows"] if w["rows"]):
        end = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        part = cli(*common, "--since", day, "--until", end, "-o", "-").stdout.splitlines()[0].split(",")
        columns += [name for name in part if name not in columns]
    header = saved.decode("utf-8").splitlines()[0].split(",")
    assert header == columns
    assert header[0] == ("code" if headers == "fields" else "Code")


def test_a_download_left_partial_resumes_in_a_later_run_after_its_url_expired(
    expiring: tuple[Cli, Sandbox, list[str]], isolated: Path, quick_backoff: None
) -> None:
    cli, sandbox, log = expiring
    submitted = cli("voucher", "--fields", "code,value,metadata,qr_code", "--no-wait")
    export_id = submitted.stdout.strip()
    assert cli("wait", export_id).exit_code == 0
    sandbox.faults.drop_download_after(3000, times=1)
    sandbox.faults.drop_download_after(0, times=None)  # then no attempt brings a new byte
    broken = cli("download", export_id, "-o", "vouchers.csv")
    assert broken.exit_code == 7, broken.output
    assert not (isolated / "vouchers.csv").exists()
    sandbox.faults.reset()
    time.sleep(TTL + 0.3)  # every URL the broken run saw has expired
    log.clear()
    result = cli("download", export_id, "-o", "vouchers.csv")
    assert result.exit_code == 0, result.output
    assert (isolated / "vouchers.csv").read_bytes() == _file(sandbox, export_id)
    downloads = [line.rsplit('" ', 1)[1].split()[0] for line in log if "?token=" in line]
    assert downloads == ["206"]  # continued from the kept bytes with a fresh URL
