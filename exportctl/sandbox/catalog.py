"""The catalog family: products and their SKUs (currencies, prices, attribute values), from a stream of their own.

A product names the attributes its SKUs vary by (`attributes`, a JSON array, as the API shows products); each
SKU sets them (`attributes`, a JSON object) and has a currency and a price in that currency's cents. They are
made after every other record, from `catalog_rng`, so that adding them changed nothing else.
"""

from __future__ import annotations

import itertools
from typing import Any

from exportctl.sandbox.names import BRANDS, PRODUCT_LINES, PRODUCT_STYLES, SKU_CURRENCIES, WAREHOUSES
from exportctl.sandbox.records import DAY_MS, HOUR_MS, Batches, compact_json, iso_ms
from exportctl.sandbox.stream import Stream

IMAGE_HOST = "https://cdn.example.com/catalog"


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


class CatalogRecords(Stream):
    def catalog(self, batches: Batches, products: int) -> list[str]:
        """`products` products with one to four SKUs each; returns the SKU ids."""
        rng = self.catalog_rng
        sku_ids: list[str] = []
        for number in range(1, products + 1):
            created = rng.randrange(self.start_ms, self.anchor_ms - 30 * DAY_MS)
            product_id, name, price, dimensions = self.product(batches, number, created)
            combinations = list(itertools.product(*dimensions.values()))
            for values in rng.sample(combinations, min(len(combinations), rng.randrange(1, 5))):
                chosen = dict(zip(dimensions, values, strict=True))
                sku_ids.append(self.sku(batches, product_id, name, price, chosen, created))
        return sku_ids

    def product(
        self, batches: Batches, number: int, created: int, *, updated: int | None = None
    ) -> tuple[str, str, int, dict[str, tuple[str, ...]]]:
        """The `number`th product (its line and style follow from the number); (id, name, price, dimensions)."""
        rng = self.catalog_rng
        line, base_price, dimensions = PRODUCT_LINES[(number - 1) % len(PRODUCT_LINES)]
        style = PRODUCT_STYLES[((number - 1) // len(PRODUCT_LINES)) % len(PRODUCT_STYLES)]
        round_ = (number - 1) // (len(PRODUCT_LINES) * len(PRODUCT_STYLES))
        name = f"{style} {line}" + (f" {round_ + 1}" if round_ else "")
        updated = updated if updated is not None else created + rng.randrange(0, 20 * DAY_MS)
        price = base_price + rng.choice((0, 0, 500, 1000, -500))
        product_id = "prod_" + rng.randbytes(9).hex()
        batches.add(
            "product",
            {
                "id": product_id,
                "name": name,
                "price": price,
                "image_url": f"{IMAGE_HOST}/{_slug(name)}.jpg",
                "source_id": f"product-{number:05d}" if rng.random() < 0.85 else None,
                "attributes": compact_json(list(dimensions)),
                "created_at": iso_ms(created),
                "updated_at": iso_ms(updated),
                "metadata": compact_json({"brand": rng.choice(BRANDS), "line": line}),
            },
        )
        return product_id, name, price, dimensions

    def sku_for(self, batches: Batches, product_id: str, product: str, price: int, number: int, at: int) -> str:
        """A SKU of an existing product (of the `number`th line), created at `at`."""
        rng = self.catalog_rng
        _, _, dimensions = PRODUCT_LINES[(number - 1) % len(PRODUCT_LINES)]
        chosen = {name: rng.choice(values) for name, values in dimensions.items()}
        return self.sku(batches, product_id, product, price, chosen, at, exact=True)

    def sku(
        self,
        batches: Batches,
        product_id: str,
        product: str,
        price: int,
        values: dict[str, str],
        created: int,
        *,
        exact: bool = False,
    ) -> str:
        rng = self.catalog_rng
        currency, rate = rng.choice(SKU_CURRENCIES)
        sku_id = "sku_" + rng.randbytes(9).hex()
        at = created if exact else created + rng.randrange(0, 10 * DAY_MS)
        name = f"{product} " + " ".join(values.values())
        row: dict[str, Any] = {
            "id": sku_id,
            "sku": name,
            "product_id": product_id,
            "currency": currency,
            "price": round((price + rng.choice((0, 0, 200, 500))) * rate),
            "image_url": f"{IMAGE_HOST}/{_slug(name)}.jpg" if rng.random() < 0.7 else None,
            "source_id": f"sku-{_slug(name)}" if rng.random() < 0.8 else None,
            "attributes": compact_json(values),
            "created_at": iso_ms(at),
            "updated_at": iso_ms(at if exact else at + rng.randrange(0, 48) * HOUR_MS),
            "metadata": compact_json({"stock": rng.randrange(0, 500), "warehouse": rng.choice(WAREHOUSES)}),
        }
        batches.add("sku", row)
        return sku_id
