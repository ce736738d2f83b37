"""The card family: gift and loyalty card events, their transactions and loyalty point buckets."""

from __future__ import annotations

from typing import Any

from exportctl.sandbox.names import FAILURES, MANUAL_REASONS
from exportctl.sandbox.orders import OrderRecords
from exportctl.sandbox.records import DAY_MS, Batches, CardState, compact_json, iso_date, iso_ms


class CardRecords(OrderRecords):
    def _gift_events(self, batches: Batches, card: CardState, after_ms: int) -> int:
        rng = self.rng
        balance = rng.choice((2500, 5000, 10000, 20000))
        last = after_ms
        for at in self.events(after_ms, rng.choices((0, 1, 2, 3, 4), weights=(30, 30, 20, 12, 8))[0]):
            last = at
            roll = rng.random()
            if roll < 0.7:
                who = card.holder if card.holder is not None else rng.randrange(len(self.customers))
                amount = rng.randrange(10, 300) * 100
                if balance <= 0 or rng.random() < 0.1:
                    self.redemption(batches, card, who, at, amount, rng.choice(FAILURES["GIFT_VOUCHER"]))
                    continue
                used = min(balance, amount)
                balance -= used
                redemption_id, order = self.redemption(batches, card, who, at, amount, None, gift_amount=used)
                self.transaction(batches, card, "CREDITS_REDEMPTION", -used, balance, at, redemption_id, order)
                self.customers.totals[who].gift_redeemed += used
            elif roll < 0.85:
                added = rng.choice((1000, 2500, 5000))
                balance += added
                self.transaction(batches, card, "CREDITS_ADDITION", added, balance, at, manual=True)
            elif roll < 0.93 and balance > 0:
                removed = min(balance, rng.choice((500, 1000)))
                balance -= removed
                self.transaction(batches, card, "CREDITS_REMOVAL", -removed, balance, at, manual=True)
            else:
                refund = rng.choice((500, 1500))
                balance += refund
                self.transaction(batches, card, "CREDITS_REFUND", refund, balance, at)
        card.voucher["gift_balance"] = balance
        card.voucher["value"] = balance
        return last

    def _loyalty_events(self, batches: Batches, card: CardState, after_ms: int) -> int:
        rng = self.rng
        balance = 0
        last = after_ms
        pending: list[tuple[int, int]] = []  # (expires_ms, points) of buckets not yet expired
        for at in self.events(after_ms, rng.choices((0, 1, 2, 3, 4, 6), weights=(10, 20, 25, 20, 15, 10))[0]):
            balance = self._expire_buckets(batches, card, pending, balance, at)
            last = at
            who = card.holder if card.holder is not None else rng.randrange(len(self.customers))
            roll = rng.random()
            if roll < 0.55 or balance == 0:
                order = self._order(batches, who, at, rng.randrange(10, 400) * 100 - 1, 0, "SUCCESS", None)
                points = order["amount"] // 100
                balance += points
                self.transaction(batches, card, "POINTS_ACCRUAL", points, balance, at, None, order)
                pending.append(self.bucket(batches, card, points, at))
            elif roll < 0.8:
                wanted = rng.choice((100, 200, 500))
                if wanted > balance:
                    self.redemption(batches, card, who, at, wanted * 10, FAILURES["LOYALTY_CARD"][0])
                    continue
                balance -= wanted
                redemption_id, order = self.redemption(batches, card, who, at, wanted * 10, None, points=wanted)
                self.transaction(batches, card, "POINTS_REDEMPTION", -wanted, balance, at, redemption_id, order)
                self.customers.totals[who].points_redeemed += wanted
            elif roll < 0.88:
                added = rng.choice((50, 100, 250))
                balance += added
                self.transaction(batches, card, "POINTS_ADDITION", added, balance, at, manual=True)
                pending.append(self.bucket(batches, card, added, at))
            elif roll < 0.93:
                removed = min(balance, rng.choice((25, 50)))
                balance -= removed
                self.transaction(batches, card, "POINTS_REMOVAL", -removed, balance, at, manual=True)
            elif roll < 0.97:
                moved = min(balance, rng.choice((10, 50)))
                balance -= moved
                self.transaction(batches, card, "POINTS_TRANSFER_OUT", -moved, balance, at, manual=True, related=True)
            else:
                refund = rng.choice((20, 40))
                balance += refund
                self.transaction(batches, card, "POINTS_REFUND", refund, balance, at)
        balance = self._expire_buckets(batches, card, pending, balance, self.anchor_ms)
        card.voucher["loyalty_balance"] = balance
        card.voucher["value"] = balance
        if card.holder is not None:
            self.customers.totals[card.holder].points += balance
        return last

    def bucket(self, batches: Batches, card: CardState, points: int, at_ms: int) -> tuple[int, int]:
        expires = (at_ms // DAY_MS + 365) * DAY_MS
        batches.add(
            "points_expiration",
            {
                "id": self.ident("lopb_"),
                "campaign_id": card.voucher["campaign_id"],
                "voucher_id": card.voucher["id"],
                "status": "ACTIVE" if expires > self.anchor_ms else "INACTIVE",
                "expires_at": iso_date(expires),
                "points": points,
            },
        )
        return expires, points

    def _expire_buckets(
        self, batches: Batches, card: CardState, pending: list[tuple[int, int]], balance: int, until_ms: int
    ) -> int:
        for bucket in [b for b in pending if b[0] <= until_ms]:
            pending.remove(bucket)
            lost = min(balance, bucket[1])
            if lost > 0:
                balance -= lost
                self.transaction(batches, card, "POINTS_EXPIRATION", -lost, balance, bucket[0])
        return balance

    def transaction(
        self,
        batches: Batches,
        card: CardState,
        kind: str,
        amount: int,
        balance: int,
        at_ms: int,
        redemption_id: str | None = None,
        order: dict[str, Any] | None = None,
        *,
        manual: bool = False,
        related: bool = False,
    ) -> None:
        rng = self.rng
        details: dict[str, Any] = {}
        if order is not None:
            details["order"] = {"id": order["id"], "source_id": order["source_id"]}
        if redemption_id is not None:
            details["redemption"] = {"id": redemption_id}
        if kind == "POINTS_EXPIRATION":
            details["points_expiration"] = {"points": -amount}
        tx_id = self.hex_ident("vtx_")
        row = {
            "id": tx_id,
            "type": kind,
            "source_id": f"tx-{rng.randrange(10**6):06d}" if manual and rng.random() < 0.6 else None,
            "reason": rng.choice(MANUAL_REASONS) if manual else None,
            "balance": balance,
            "amount": amount,
            "created_at": iso_ms(at_ms),
            "voucher_id": card.voucher["id"],
            "campaign_id": card.voucher["campaign_id"],
            "source": "voucherify-web-ui" if manual else ("Automation" if kind == "POINTS_EXPIRATION" else "API"),
            "details": compact_json(details),
            # A transfer names the receiving card's transaction; the previous card's latest stands in for it.
            "related_transaction_id": self._last_transaction_elsewhere if related else None,
        }
        batches.add("voucher_transactions", row)
        card.last_transaction = tx_id
