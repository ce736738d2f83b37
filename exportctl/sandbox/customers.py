"""The customer family: identities first, rows last, because their summaries total everything else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from exportctl.sandbox.names import CATEGORY_NAMES, CUSTOMER_SOURCES, FIRST_NAMES, LAST_NAMES, PLACES, STREETS, TIERS
from exportctl.sandbox.records import DAY_MS, Totals, compact_json, iso_ms
from exportctl.sandbox.stream import Stream


class CustomerRecords(Stream):
    def make_customer_identities(self, n: int, created_low: int | None = None, created_high: int | None = None) -> None:
        low = self.start_ms if created_low is None else created_low
        high = self.anchor_ms - 7 * DAY_MS if created_high is None else created_high
        customers = self.customers
        for _ in range(n):
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            number = len(customers) + 1
            customers.ids.append(self.ident("cust_"))
            customers.source_ids.append(f"customer-{number:06d}")
            customers.names.append(f"{first} {last}")
            customers.created.append(self.between(low, high))
            customers.totals.append(Totals())

    # customers, last, because their summaries total everything above ------------------------------
    def customer_rows(self, first: int = 0) -> Iterator[dict[str, Any]]:
        rng = self.rng
        customers = self.customers
        for i in range(first, len(customers)):
            t = customers.totals[i]
            name = customers.names[i]
            city, state, country, postal = rng.choice(PLACES)
            address = {
                "city": city,
                "state": state,
                "line_1": f"{rng.randrange(1, 250)} {rng.choice(STREETS)}",
                "line_2": f"Apt {rng.randrange(1, 80)}" if rng.random() < 0.3 else None,
                "country": country,
                "postal_code": f"{postal}{rng.randrange(100, 999)}",
            }
            birthday = None
            if rng.random() < 0.7:
                birthday = date(rng.randrange(1950, 2006), rng.randrange(1, 13), rng.randrange(1, 29)).isoformat()
            average = t.orders_amount // t.orders_count if t.orders_count else 0
            last_order = iso_ms(t.last_order_ms) if t.orders_count else None
            summary = {
                "redemptions": {
                    "total_redeemed": t.redeemed,
                    "total_failed": t.failed,
                    "total_succeeded": t.succeeded,
                    "total_rolled_back": t.rolled_back,
                    "total_rollback_failed": 0,
                    "total_rollback_succeeded": t.rollback_succeeded,
                    "gift": {"redeemed_amount": t.gift_redeemed, "amount_to_go": 0},
                    "loyalty_card": {"redeemed_points": t.points_redeemed, "points_to_go": t.points},
                },
                "orders": {
                    "total_amount": t.orders_amount,
                    "total_count": t.orders_count,
                    "average_amount": average,
                    "last_order_amount": t.last_order_amount if t.orders_count else None,
                    "last_order_date": last_order,
                },
            }
            first_name, _, last_name = name.partition(" ")
            email_user = f"{first_name}.{last_name}".lower().replace("'", "")
            created = customers.created[i]
            metadata: dict[str, Any] = {"tier": rng.choice(TIERS), "newsletter": rng.random() < 0.6}
            if rng.random() < 0.4:
                metadata["favourite_categories"] = rng.sample(CATEGORY_NAMES, rng.randrange(1, 4))
            row: dict[str, Any] = {
                "id": customers.ids[i],
                "name": name,
                "description": rng.choice((None, None, "VIP customer", "Imported from Shopify")),
                "email": f"{email_user}{i + 1}@example.com",
                "source_id": customers.source_ids[i],
                "created_at": iso_ms(created),
                "updated_at": iso_ms(max(created, t.last_order_ms)),
                "address_city": city,
                "address_state": state,
                "address_line_1": address["line_1"],
                "address_line_2": address["line_2"],
                "address_country": country,
                "address_postal_code": address["postal_code"],
                "address": compact_json(address),
                "redemptions_total_redeemed": t.redeemed,
                "redemptions_total_failed": t.failed,
                "redemptions_total_succeeded": t.succeeded,
                "redemptions_total_rolled_back": t.rolled_back,
                "redemptions_total_rollback_failed": 0,
                "redemptions_total_rollback_succeeded": t.rollback_succeeded,
                "orders_total_amount": t.orders_amount,
                "orders_total_count": t.orders_count,
                "orders_average_amount": average,
                "orders_last_order_amount": t.last_order_amount if t.orders_count else None,
                "orders_last_order_date": last_order,
                "loyalty_points": t.points,
                "loyalty_referred_customers": t.referred,
                "loyalty": compact_json({"points": t.points, "referred_customers": t.referred}),
                "summary": compact_json(summary),
                "phone": f"+1 555 01{rng.randrange(10**5):05d}" if rng.random() < 0.8 else None,
                "birthday": birthday,
                "birthdate": birthday,
                "metadata": compact_json(metadata),
                "system_metadata": compact_json(
                    {"source": rng.choice(CUSTOMER_SOURCES), "consents": {"unsubscribed": rng.random() < 0.15}}
                ),
                # The documented filter prefixes beyond the spec's table, derived (no random draw, so the
                # rest of the data is what it was): loyalty_tier.X, events.X, system.metadata.X.
                "loyalty_tier": compact_json({"ltr_sandbox": {"points": t.points}}) if t.points else None,
                "events": compact_json({"order_paid": {"count": t.orders_count}}) if t.orders_count else None,
            }
            row["system"] = compact_json({"metadata": json.loads(row["system_metadata"])})
            latest = self.latest_publication.get(i)
            if latest is not None:
                # The reference's publications.* filters test the customer's latest publication.
                row["publications"] = compact_json({"created_at": iso_ms(latest[0]), "related_object_id": latest[1]})
            yield row
