"""The voucher family: one voucher and everything that hangs off it (publications, then its events)."""

from __future__ import annotations

from typing import Any

from exportctl.sandbox.cards import CardRecords
from exportctl.sandbox.names import PUBLICATION_CHANNELS, REGIONS, VOUCHER_CHANNELS
from exportctl.sandbox.records import DAY_MS, Batches, Campaign, CardState, compact_json, iso_ms


class VoucherRecords(CardRecords):
    # the per-voucher bundle ----------------------------------------------------------------------
    def voucher_bundle(self, index: int, batches: Batches, created_ms: int | None = None) -> str:
        """Write one voucher and every record that refers to it; returns the voucher id."""
        rng = self.rng
        campaign = rng.choice(self.campaigns) if rng.random() < 0.9 else None
        voucher_type = campaign.voucher_type if campaign else "DISCOUNT_VOUCHER"
        low = campaign.created_ms if campaign else self.start_ms
        created = created_ms if created_ms is not None else self.between(low, self.anchor_ms - 2 * DAY_MS)
        voucher_id = self.ident("v_", 24)
        code = self.code(index, campaign.prefix if campaign else "")
        discount_type = campaign.discount_type if campaign else None
        if voucher_type == "DISCOUNT_VOUCHER" and discount_type is None:
            discount_type = rng.choice(("AMOUNT", "PERCENT", "FIXED", "UNIT"))
        v: dict[str, Any] = {
            "id": voucher_id,
            "code": code,
            "voucher_type": voucher_type,
            "discount_type": discount_type,
            "campaign": campaign.name if campaign else None,
            "campaign_id": campaign.id if campaign else None,
            "category": campaign.category if campaign else None,
            "category_id": campaign.category_id if campaign else None,
            "created_at": iso_ms(created),
            "active": 0 if rng.random() < 0.08 else 1,
            "is_referral_code": 1 if campaign and campaign.is_referral else 0,
            "qr_code": f"https://dl.voucherify.io/api/v1/assets/qr/{code}",
            "bar_code": f"https://dl.voucherify.io/api/v1/assets/barcode/{code}",
        }
        if rng.random() < 0.5:
            v["start_date"] = iso_ms(created + rng.randrange(0, 10) * DAY_MS)
        expires = None
        if rng.random() < 0.6:
            expires = created + rng.randrange(30, 730) * DAY_MS
            v["expiration_date"] = iso_ms(expires)
        if rng.random() < 0.1:
            v["validity_timeframe_interval"] = rng.choice(("P2D", "P1W"))
            v["validity_timeframe_duration"] = rng.choice(("PT1H", "PT12H"))
        if rng.random() < 0.2:
            v["validity_day_of_week"] = rng.choice(("1,2,3,4,5", "0,6", "5,6", "1,3,5"))
        if rng.random() < 0.15:
            v["additional_info"] = rng.choice(("One use per customer", "Staff only", "Printed flyer"))
        if rng.random() < 0.3:
            v["validation_rules_id"] = self.ident("val_")
        metadata: dict[str, Any] = {"channel": rng.choice(VOUCHER_CHANNELS)}
        if rng.random() < 0.8:
            metadata["region"] = rng.choice(REGIONS)
        if rng.random() < 0.3:
            metadata["batch"] = rng.randrange(1, 20)
        v["metadata"] = compact_json(metadata)

        if voucher_type == "DISCOUNT_VOUCHER":
            v.update(self._discount_terms(discount_type))
        holder: int | None = None
        published_share = {"DISCOUNT_VOUCHER": 0.4, "GIFT_VOUCHER": 0.6, "LOYALTY_CARD": 0.95}[voucher_type]
        if campaign and campaign.is_referral:
            published_share = 1.0
        customers = self.customers
        last_event = created
        if rng.random() < published_share:
            holder = rng.randrange(len(customers))
            pub_ms = self.between(max(created, customers.created[holder]), self.anchor_ms - DAY_MS)
            v["customer_id"] = customers.ids[holder]
            v["customer_source_id"] = customers.source_ids[holder]
            self.publication(batches, v, campaign, holder, pub_ms, "SUCCESS")
            if rng.random() < 0.03:
                other = rng.randrange(len(customers))
                self.publication(batches, v, campaign, other, self.between(pub_ms, self.anchor_ms), "FAILURE")
            last_event = pub_ms
        card = CardState(voucher=v, campaign=campaign, holder=holder, expires_ms=expires)
        if voucher_type == "DISCOUNT_VOUCHER":
            last_event = self._discount_events(batches, card, last_event)
        elif voucher_type == "GIFT_VOUCHER":
            last_event = self._gift_events(batches, card, last_event)
        else:
            last_event = self._loyalty_events(batches, card, last_event)
        if card.last_transaction is not None:
            self._last_transaction_elsewhere = card.last_transaction
        v["redemption_count"] = card.succeeded
        quantity = v.get("redemption_quantity")
        # The reference's `redemption_status` filter: derived, so no random draw moves.
        v["redemption_status"] = (
            "NOT_REDEEMED"
            if not card.succeeded
            else "FULLY_REDEEMED"
            if quantity and card.succeeded >= quantity
            else "PARTIALLY_REDEEMED"
        )
        v["redemption"] = compact_json({"quantity": v.get("redemption_quantity"), "redeemed_quantity": card.succeeded})
        v["updated_at"] = iso_ms(last_event)
        batches.add("voucher", v)
        return voucher_id

    def _discount_terms(self, discount_type: str | None) -> dict[str, Any]:
        rng = self.rng
        terms: dict[str, Any] = {"redemption_quantity": rng.choice((None, None, 1, 1, 5, 10))}
        if discount_type == "AMOUNT":
            terms["value"] = rng.choice((500, 1000, 1500, 2000, 2500, 5000))
            terms["discount_effect"] = "APPLY_TO_ORDER"
        elif discount_type == "PERCENT":
            terms["value"] = rng.choice((5, 10, 15, 20, 25, 12.5))
            terms["discount_amount_limit"] = rng.choice((None, 2000, 5000))
            terms["discount_effect"] = rng.choice(("APPLY_TO_ORDER", "APPLY_TO_ITEMS"))
        elif discount_type == "UNIT":
            terms["value"] = rng.choice((1, 1, 2, 3))
            terms["discount_unit_type"] = self.ident("prod_", 12)
            terms["discount_unit_effect"] = rng.choice(("ADD_MISSING_ITEMS", "ADD_NEW_ITEMS", "ADD_MANY_ITEMS"))
        elif discount_type == "FIXED":
            terms["value"] = rng.choice((999, 1999, 4999))
        return terms

    def publication(
        self, batches: Batches, v: dict[str, Any], campaign: Campaign | None, who: int, at_ms: int, result: str
    ) -> None:
        rng = self.rng
        customers = self.customers
        failed = result == "FAILURE"
        latest = self.latest_publication.get(who)
        if not failed and (latest is None or at_ms >= latest[0]):
            self.latest_publication[who] = (at_ms, v["id"])
        batches.add(
            "publication",
            {
                "id": self.ident("pub_"),
                "voucher_code": v["code"],
                "code": v["code"],
                "voucher_id": v["id"],
                "customer_id": customers.ids[who],
                "customer_source_id": customers.source_ids[who],
                "tracking_id": customers.source_ids[who],
                "date": iso_ms(at_ms),
                "created_at": iso_ms(at_ms),
                "channel": rng.choice(PUBLICATION_CHANNELS),
                "campaign": campaign.name if campaign else None,
                "campaign_id": campaign.id if campaign else None,
                "voucher_type": v["voucher_type"],
                "is_referral_code": v["is_referral_code"],
                "is_winner": 1 if not failed and rng.random() < 0.02 else 0,
                "metadata": compact_json(
                    {"source": rng.choice(("newsletter", "checkout", "crm"))} if rng.random() < 0.5 else {}
                ),
                "result": result,
                "failure_code": "voucher_already_published" if failed else None,
                "source_id": f"pub-{rng.randrange(10**8):08d}" if rng.random() < 0.3 else None,
            },
        )
