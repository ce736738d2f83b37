"""The order and redemption family: orders, redemptions (and their rollbacks), a discount voucher's uses."""

from __future__ import annotations

from typing import Any

from exportctl.sandbox.names import FAILURES, PAYMENT_MEANS, QUANTITY_EXCEEDED, STORES
from exportctl.sandbox.records import DAY_MS, HOUR_MS, Batches, CardState, compact_json, iso_ms
from exportctl.sandbox.stream import Stream


class OrderRecords(Stream):
    def _order(
        self,
        batches: Batches,
        who: int,
        at_ms: int,
        amount: int,
        discount: int,
        result: str,
        referrer: int | None,
    ) -> dict[str, Any]:
        rng = self.rng
        items_discount = rng.choice((0, 0, 0, 100, 250)) if result == "SUCCESS" and amount > 1000 else 0
        # Discounts never take an order below zero.
        discount = min(discount, amount)
        items_discount = min(items_discount, amount - discount)
        total_discount = discount + items_discount
        status = (
            rng.choice(("PAID", "FULFILLED", "FULFILLED"))
            if result == "SUCCESS"
            else rng.choice(("CREATED", "CANCELED"))
        )
        order: dict[str, Any] = {
            "id": self.ident("ord_"),
            "source_id": self.next_order_source(),
            "created_at": iso_ms(at_ms - rng.randrange(1000, 600_000)),
            "updated_at": iso_ms(at_ms + rng.randrange(1000, 3 * DAY_MS)),
            "status": status,
            "amount": amount,
            "discount_amount": discount,
            "items_discount_amount": items_discount,
            "total_discount_amount": total_discount,
            "total_amount": amount - total_discount,
            "customer_id": self.customers.ids[who],
            "referrer_id": self.customers.ids[referrer] if referrer is not None else None,
            "metadata": compact_json({"payment_mean": rng.choice(PAYMENT_MEANS), "store": rng.choice(STORES)}),
        }
        batches.add("order", order)
        if status != "CANCELED":
            totals = self.customers.totals[who]
            totals.orders_amount += amount - total_discount
            totals.orders_count += 1
            if at_ms >= totals.last_order_ms:
                totals.last_order_ms = at_ms
                totals.last_order_amount = amount - total_discount
        return order

    def redemption(
        self,
        batches: Batches,
        card: CardState,
        who: int,
        at_ms: int,
        amount: int,
        failure: tuple[str, str] | None,
        *,
        discount: int = 0,
        gift_amount: int | None = None,
        points: int | None = None,
    ) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        v = card.voucher
        result = "FAILURE" if failure else "SUCCESS"
        referrer = card.holder if card.campaign is not None and card.campaign.is_referral else None
        applied = discount or gift_amount or (points * 10 if points else 0)
        order = self._order(batches, who, at_ms, amount, applied, result, referrer)
        customers = self.customers
        redemption_id = self.ident("r_")
        row = {
            "id": redemption_id,
            "object": "redemption",
            "date": iso_ms(at_ms),
            "created_at": iso_ms(at_ms),
            "updated_at": iso_ms(at_ms),
            "voucher_code": v["code"],
            "campaign": v["campaign"],
            "campaign_id": v["campaign_id"],
            "customer_id": customers.ids[who],
            "customer_source_id": customers.source_ids[who],
            "customer_name": customers.names[who],
            "tracking_id": customers.source_ids[who],
            "order_amount": amount,
            "order_id": order["id"],
            "gift_amount": gift_amount,
            "loyalty_points": points,
            "result": result,
            # The reference's `status` and `related_object` filters, derived from the above.
            "status": "FAILED" if failure else "SUCCEEDED",
            "related_object": "voucher",
            "failure_code": failure[0] if failure else None,
            "failure_message": failure[1] if failure else None,
            "user_login": "ops@example.com" if rng.random() < 0.05 else None,
            "metadata": compact_json({"pos": f"POS-{rng.randrange(1, 9)}"} if rng.random() < 0.4 else {}),
        }
        totals = customers.totals[who]
        totals.redeemed += 1
        if failure:
            totals.failed += 1
            batches.add("redemption", row)
            return redemption_id, order
        totals.succeeded += 1
        card.succeeded += 1
        if referrer is not None:
            customers.totals[referrer].referred += 1
        if self.rollbacks and v["voucher_type"] == "DISCOUNT_VOUCHER" and rng.random() < 0.04:
            rollback_at = at_ms + rng.randrange(HOUR_MS, 5 * DAY_MS)
            # The rollback updates the redemption it undoes.
            row["updated_at"] = iso_ms(rollback_at)
            row["status"] = "ROLLED_BACK"
            batches.add("redemption", row)
            batches.add(
                "redemption",
                {
                    **row,
                    "id": self.ident("rr_"),
                    "object": "redemption_rollback",
                    "date": iso_ms(rollback_at),
                    "created_at": iso_ms(rollback_at),
                    "parent_redemption_id": redemption_id,
                    "status": "SUCCEEDED",
                    "related_object": "redemption",
                    "metadata": compact_json({"reason": "Order returned"}),
                },
            )
            totals.rolled_back += 1
            totals.rollback_succeeded += 1
        else:
            batches.add("redemption", row)
        return redemption_id, order

    def extra_order(self, batches: Batches, at_ms: int | None = None) -> str:
        who = self.rng.randrange(len(self.customers))
        when = at_ms if at_ms is not None else self.between(self.customers.created[who], self.anchor_ms)
        result = "SUCCESS" if self.rng.random() < 0.9 else "FAILURE"
        order = self._order(batches, who, when, self.rng.randrange(5, 600) * 100 - 1, 0, result, None)
        return str(order["id"])

    def _discount_events(self, batches: Batches, card: CardState, after_ms: int) -> int:
        rng = self.rng
        last = after_ms
        attempts = rng.choices((0, 1, 2, 3), weights=(55, 30, 10, 5))[0]
        quantity = card.voucher.get("redemption_quantity")
        for at in self.events(after_ms, attempts):
            last = at
            who = card.holder
            if who is None or (card.campaign is not None and card.campaign.is_referral):
                who = rng.randrange(len(self.customers))
            failure = None
            if quantity is not None and card.succeeded >= quantity:
                failure = QUANTITY_EXCEEDED
            elif card.expires_ms is not None and at > card.expires_ms:
                failure = FAILURES["DISCOUNT_VOUCHER"][0]
            elif rng.random() < 0.12:
                failure = rng.choice(FAILURES["DISCOUNT_VOUCHER"][1:])
            amount = rng.randrange(10, 500) * 100 - 1
            discount = 0 if failure else self._discount_for(card.voucher, amount)
            self.redemption(batches, card, who, at, amount, failure, discount=discount)
        return last

    def _discount_for(self, v: dict[str, Any], amount: int) -> int:
        value = v.get("value") or 0
        kind = v.get("discount_type")
        if kind == "AMOUNT":
            return int(min(value, amount))
        if kind == "PERCENT":
            off = int(amount * value / 100)
            limit = v.get("discount_amount_limit")
            return min(off, limit) if limit else off
        if kind == "FIXED":
            return max(0, amount - int(value))
        return min(amount, 1500 * int(value))
