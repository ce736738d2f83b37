"""The SQLite store: creates the tables, fills them once per seed, scale and as_of, and adds records later.

Every caller gets its own connection (SQLite connections are not shared across threads); the
database runs in WAL mode so the worker can stream an export while a test adds records.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from exportctl.sandbox import dbfile, generator, records, tables

# Bumped whenever the generator's output changes, so an existing --db file is rebuilt.
GENERATOR_VERSION = "4"  # 4: products, SKUs, API logs; the reference's list filters; newer loyalty types
# 3: customer columns for the loyalty_tier/events/system filter prefixes


# How long a rebuild waits for other processes (a running sandbox, a sqlite3 shell) to let go of the file.
REBUILD_LOCK_WAIT = 5.0


class UnknownObjectError(KeyError):
    """`add_records` was asked for an object the store does not hold."""


class Store:
    """One SQLite database of generated records, ending at `as_of` (a date or datetime; default: today, UTC)."""

    def __init__(
        self,
        path: Path,
        *,
        seed: int,
        scale: float,
        as_of: date | datetime | None = None,
        lock_wait: float = REBUILD_LOCK_WAIT,
    ) -> None:
        self.path = Path(path)
        self.lock_wait = lock_wait
        self.seed = seed
        self.scale = scale
        self.as_of = as_of if as_of is not None else records.today_utc()
        self.generation_seconds = 0.0
        self.reused = False
        # Why an existing sandbox file was regenerated (None when it was new or reused), for the CLI to say.
        self.rebuilt_because: str | None = None
        self._write_lock = threading.Lock()
        self._additions = 0

    def connect(self) -> sqlite3.Connection:
        """A new connection for the calling thread; close it when done."""
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    def open(self) -> None:
        """Create and fill the database, unless it already holds this seed, scale and as_of.

        Raises dbfile.SandboxDatabaseError, before changing anything, for a file the sandbox did not make.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        wanted = {
            "seed": str(self.seed),
            "scale": repr(float(self.scale)),
            "as_of": records.as_of_text(self.as_of),
            "version": GENERATOR_VERSION,
        }
        found = dbfile.inspect(self.path)
        if found.meta == wanted:
            self.reused = True
            return
        if not found.empty:
            self.rebuilt_because = dbfile.rebuild_reason(found.meta, wanted)
        started = time.perf_counter()
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                self._fill(wanted, deadline)
                break
            except sqlite3.OperationalError as error:
                # Another process reading the file (a WAL reader blocks leaving WAL mode; any reader blocks a
                # rollback-journal write): wait for it within the bound, then say so. An interrupted fill left
                # no meta row, so the next attempt starts it over.
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                if time.monotonic() >= deadline:
                    raise dbfile.SandboxDatabaseError(
                        self.path,
                        f"is in use by another process (a running sandbox or an SQLite shell) and must be "
                        f"rebuilt ({self.rebuilt_because or 'it is incomplete'}); waited {self.lock_wait:g}s for "
                        "it to close the file. Stop that process, or give another --db file",
                    ) from None
                time.sleep(0.1)
        self.generation_seconds = time.perf_counter() - started

    def _fill(self, wanted: dict[str, str], deadline: float) -> None:
        """Create the tables and generate the records, waiting for locks until `deadline` at most."""
        conn = self.connect()
        try:
            conn.execute(f"PRAGMA busy_timeout = {max(0, int((deadline - time.monotonic()) * 1000))}")
            # The bulk load needs no rollback journal: an interrupted load leaves no meta row and is redone.
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute(f"PRAGMA application_id = {dbfile.APPLICATION_ID}")
            for table in (*tables.TABLE_NAMES.values(), *tables.INTERNAL_TABLES):
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in tables.create_statements():
                conn.execute(statement)
            conn.execute("BEGIN")
            generator.Generator(self.seed, anchor_ms=records.anchor_ms(self.as_of)).generate(conn, self.scale)
            for statement in tables.INDEX_STATEMENTS:
                conn.execute(statement)
            conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(wanted.items()))
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        finally:
            conn.close()

    # reading ----------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """The number of records per exported object."""
        conn = self.connect()
        try:
            return {
                obj: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for obj, table in tables.TABLE_NAMES.items()
            }
        finally:
            conn.close()

    def find_voucher(self, code_or_id: str) -> str | None:
        """The id of the voucher with this code or id."""
        conn = self.connect()
        try:
            row = conn.execute(
                "SELECT id FROM vouchers WHERE id = ? UNION ALL SELECT id FROM vouchers WHERE code = ? LIMIT 1",
                (code_or_id, code_or_id),
            ).fetchone()
            return None if row is None else str(row[0])
        finally:
            conn.close()

    def find_campaign(self, id_or_name: str, *, voucher_types: tuple[str, ...] = ()) -> str | None:
        """The id of the campaign with this id or name (of one of `voucher_types`, when given)."""
        conn = self.connect()
        try:
            rows = conn.execute(
                "SELECT id, voucher_type FROM campaigns WHERE id = ? OR name = ? ORDER BY id = ? DESC",
                (id_or_name, id_or_name, id_or_name),
            ).fetchall()
        finally:
            conn.close()
        for campaign_id, voucher_type in rows:
            if not voucher_types or voucher_type in voucher_types:
                return str(campaign_id)
        return None

    def rows(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query; for tests and tools that check exports against the data."""
        conn = self.connect()
        try:
            return conn.execute(sql, parameters).fetchall()
        finally:
            conn.close()

    # adding -----------------------------------------------------------------------------------------
    def add_vouchers(self, n: int) -> list[str]:
        """Add n vouchers created now; returns their ids."""
        return self.add_records("voucher", n)

    def add_customers(self, n: int) -> list[str]:
        return self.add_records("customer", n)

    def add_orders(self, n: int) -> list[str]:
        return self.add_records("order", n)

    def add_records(self, exported_object: str, n: int) -> list[str]:
        """Add n records of an exported object, created now and referring to existing records; returns their ids.

        Customer summaries are not recomputed for what is added.
        """
        if exported_object not in tables.TABLE_NAMES:
            raise UnknownObjectError(exported_object)
        with self._writing() as conn:
            self._additions += 1
            return _Additions(self, conn, self._additions).add(exported_object, n)

    def touch_records(self, exported_object: str, n: int) -> list[str]:
        """Change n records in place (a field and `updated_at`, now): see sandbox/touch.py; returns their ids."""
        from exportctl.sandbox.touch import touch

        with self._writing() as conn:
            return touch(conn, exported_object, n)

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, one writer at a time: committed when the block ends, rolled back on an error."""
        with self._write_lock:
            conn = self.connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                conn.close()


def _parse_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


class _Additions:
    """Loads what new records may refer to into a Generator whose clock is now."""

    def __init__(self, store: Store, conn: sqlite3.Connection, round_: int) -> None:
        self.conn = conn
        self.now = records.now_ms()
        gen = generator.Generator(store.seed, anchor_ms=self.now)
        gen.rng = random.Random(f"add-{store.seed}-{round_}-{self.now}")
        gen.rollbacks = False
        gen.order_seq = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        for cat_id, name in conn.execute("SELECT id, name FROM categories ORDER BY rowid"):
            gen.categories.append((cat_id, name))
        for row in conn.execute(
            "SELECT id, name, campaign_type, voucher_type, discount_type, category, category_id, prefix, created_at "
            "FROM campaigns ORDER BY rowid"
        ):
            gen.campaigns.append(
                records.Campaign(
                    id=row[0],
                    name=row[1],
                    campaign_type=row[2],
                    voucher_type=row[3],
                    discount_type=row[4],
                    category=row[5],
                    category_id=row[6],
                    prefix=row[7],
                    created_ms=_parse_ms(row[8]),
                )
            )
        customers = gen.customers
        for cust_id, source_id, name, created in conn.execute(
            "SELECT id, source_id, name, created_at FROM customers ORDER BY rowid"
        ):
            customers.ids.append(cust_id)
            customers.source_ids.append(source_id)
            customers.names.append(name)
            customers.created.append(_parse_ms(created))
            customers.totals.append(records.Totals())
        self.gen = gen
        self.batches = records.Batches(conn, track_ids=True)

    def _card(self, voucher_type: str) -> records.CardState:
        row = self.conn.execute(
            "SELECT id, code, voucher_type, campaign, campaign_id, is_referral_code, customer_id, "
            "gift_balance, loyalty_balance FROM vouchers WHERE voucher_type = ? ORDER BY rowid LIMIT 1 OFFSET ?",
            (voucher_type, self._offset("vouchers", "voucher_type = ?", (voucher_type,))),
        ).fetchone()
        if row is None:
            raise LookupError(f"no {voucher_type} to add records to")
        keys = ("id", "code", "voucher_type", "campaign", "campaign_id", "is_referral_code", "customer_id")
        voucher = dict(zip(keys, row[:7], strict=False))
        voucher["gift_balance"], voucher["loyalty_balance"] = row[7], row[8]
        campaign = next((c for c in self.gen.campaigns if c.id == voucher["campaign_id"]), None)
        holder = self.gen.customers.ids.index(voucher["customer_id"]) if voucher["customer_id"] else None
        return records.CardState(voucher=voucher, campaign=campaign, holder=holder, expires_ms=None)

    def _offset(self, table: str, where: str, parameters: tuple[Any, ...]) -> int:
        total = self.conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", parameters).fetchone()[0]
        return self.gen.rng.randrange(total) if total else 0

    def _update_card(self, card: records.CardState, column: str, balance: int) -> None:
        self.conn.execute(
            f"UPDATE vouchers SET {column} = ?, value = ?, updated_at = ? WHERE id = ?",
            (balance, balance, records.iso_ms(self.now), card.voucher["id"]),
        )

    def add(self, exported_object: str, n: int) -> list[str]:
        gen, batches, now = self.gen, self.batches, self.now
        if exported_object == "customer":
            first = len(gen.customers)
            gen.make_customer_identities(n, now, now + 1)
            for row in gen.customer_rows(first):
                batches.add("customer", row)
        elif exported_object == "voucher":
            first_index = self.conn.execute("SELECT count(*) FROM vouchers").fetchone()[0]
            for k in range(n):
                gen.voucher_bundle(first_index + k, batches, created_ms=now)
        elif exported_object == "order":
            for _ in range(n):
                gen.extra_order(batches, now)
        elif exported_object == "redemption":
            for _ in range(n):
                card = self._card("DISCOUNT_VOUCHER")
                who = card.holder if card.holder is not None else gen.rng.randrange(len(gen.customers))
                amount = gen.rng.randrange(10, 300) * 100 - 1
                gen.redemption(batches, card, who, now, amount, None, discount=500)
        elif exported_object == "publication":
            for _ in range(n):
                card = self._card("DISCOUNT_VOUCHER")
                gen.publication(
                    batches, card.voucher, card.campaign, gen.rng.randrange(len(gen.customers)), now, "SUCCESS"
                )
        elif exported_object == "voucher_transactions":
            for _ in range(n):
                card = self._card("GIFT_VOUCHER")
                balance = int(card.voucher["gift_balance"] or 0) + 1000
                gen.transaction(batches, card, "CREDITS_ADDITION", 1000, balance, now, manual=True)
                self._update_card(card, "gift_balance", balance)
        elif exported_object in ("product", "sku", "api_log"):
            gen.catalog_rng = gen.rng  # this round's stream, not the generation's
            gen.add_catalog(self.conn, batches, exported_object, n, now)
        elif exported_object == "points_expiration":
            for _ in range(n):
                card = self._card("LOYALTY_CARD")
                balance = int(card.voucher["loyalty_balance"] or 0) + 100
                gen.bucket(batches, card, 100, now)
                self._update_card(card, "loyalty_balance", balance)
        batches.flush()
        return batches.ids.get(exported_object, [])


def describe(store: Store) -> str:
    """One line about what the store holds, for the CLI's banner."""
    counts = store.counts()
    return ", ".join(f"{count} {name}" for name, count in counts.items())
