"""Enumerations admit what the API may send: the newer loyalty transaction types are kept by
loyalty-card-transactions, and a value no table lists is kept in every output, never an error."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from exportctl import schema
from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli, isolated  # noqa: F401  (the fixture: no machine credentials, a clean cwd)
from tests.conftest import start_sandbox

NEW_TYPES = ("POINTS_TRANSFER_IN", "PENDING_POINTS_ACTIVATION", "POINTS_FROM_THE_FUTURE")


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox of this module's own, with three transactions of types the generator does not make."""
    root = tmp_path_factory.mktemp("enumerations")
    with start_sandbox(db_path=root / "db.sqlite3", data_dir=root / "exports") as running:
        conn = running.store.connect()
        try:
            card = conn.execute(
                "SELECT id, campaign_id FROM vouchers WHERE voucher_type = 'LOYALTY_CARD' ORDER BY rowid LIMIT 1"
            ).fetchone()
            for number, kind in enumerate(NEW_TYPES):
                conn.execute(
                    "INSERT INTO voucher_transactions (id, type, amount, balance, created_at, voucher_id, campaign_id)"
                    " VALUES (?, ?, 10, 10, '2026-01-01T00:00:00.000Z', ?, ?)",
                    (f"vtx_new{number}", kind, card[0], card[1]),
                )
            conn.execute("UPDATE points_buckets SET status = 'EXPIRED' WHERE rowid = 1")
        finally:
            conn.close()
        yield running


def test_the_tables_list_the_newer_values() -> None:
    loyalty_types = schema.LOYALTY_CARD_TRANSACTIONS.get_field("type")
    assert loyalty_types is not None and {"POINTS_TRANSFER_IN", "PENDING_POINTS_ACTIVATION"} <= set(
        loyalty_types.values
    )
    status = schema.POINTS_EXPIRATION.get_field("status")
    assert status is not None and set(status.values) == {"ACTIVE", "INACTIVE", "EXPIRED"}


def test_loyalty_card_transactions_keeps_the_newer_types(own: Sandbox) -> None:
    result = Cli(own)("loyalty-card-transactions", "--fields", "id,type", "-o", "t.csv")
    assert result.exit_code == 0, result.output
    with Path("t.csv").open(encoding="utf-8", newline="") as handle:
        kept = {row[0]: row[1] for row in list(csv.reader(handle))[1:]}
    assert kept["vtx_new0"] == "POINTS_TRANSFER_IN" and kept["vtx_new1"] == "PENDING_POINTS_ACTIVATION"
    assert "vtx_new2" not in kept  # neither a gift nor a loyalty type the tables know


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_unknown_enum_value_is_kept(own: Sandbox, fmt: str) -> None:
    result = Cli(own)("voucher-transactions", "--fields", "id,type", "--format", fmt, "-o", f"all.{fmt}")
    assert result.exit_code == 0, result.output
    text = Path(f"all.{fmt}").read_text(encoding="utf-8")
    if fmt == "jsonl":
        types = {json.loads(line)["id"]: json.loads(line)["type"] for line in text.splitlines()}
        assert types["vtx_new2"] == "POINTS_FROM_THE_FUTURE"
    else:
        assert "vtx_new2,POINTS_FROM_THE_FUTURE" in text


def test_a_points_bucket_may_be_expired(own: Sandbox) -> None:
    result = Cli(own)("points-expiration", "--filter", "campaign_id:$has_value", "--format", "jsonl", "-o", "b.jsonl")
    assert result.exit_code == 0, result.output
    statuses = {json.loads(line)["status"] for line in Path("b.jsonl").read_text(encoding="utf-8").splitlines()}
    assert "EXPIRED" in statuses


def test_the_generated_data_has_the_newer_types_and_loyalty_card_transactions_keeps_them(sandbox: Sandbox) -> None:
    """The default sandbox relabels some accruals and additions; the kind's command must not drop them."""
    kinds = dict(sandbox.store.rows("SELECT type, count(*) FROM voucher_transactions GROUP BY type"))
    assert kinds.get("PENDING_POINTS_ACTIVATION", 0) > 0
    result = Cli(sandbox)("loyalty-card-transactions", "--fields", "id,type", "-o", "kept.csv")
    assert result.exit_code == 0, result.output
    with Path("kept.csv").open(encoding="utf-8", newline="") as handle:
        kept = [row[1] for row in list(csv.reader(handle))[1:]]
    loyalty = [kind for kind in schema.LOYALTY_TRANSACTION_TYPES if kind in kinds]
    assert len(kept) == sum(kinds[kind] for kind in loyalty)
    assert kept.count("PENDING_POINTS_ACTIVATION") == kinds["PENDING_POINTS_ACTIVATION"]
