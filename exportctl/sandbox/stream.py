"""The generator's core: one random stream, the identifiers and codes drawn from it, and the shared state."""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator

from exportctl.sandbox.records import DAY_MS, HISTORY_DAYS, HOUR_MS, Campaign, Customers

_ALNUM = str.maketrans("+/=", "QxZ")
_CODE_MASK_BITS = 40


class Stream:
    """Draws every record's randomness from one stream, so the call order fixes the bytes."""

    def __init__(self, seed: int, *, anchor_ms: int) -> None:
        self.rng = random.Random(seed)
        self.anchor_ms = anchor_ms
        self.start_ms = anchor_ms - HISTORY_DAYS * DAY_MS
        self._code_mask = random.Random(f"codes-{seed}").getrandbits(_CODE_MASK_BITS)
        self.order_seq = 0
        self.campaigns: list[Campaign] = []
        self.categories: list[tuple[str, str]] = []
        self.customers = Customers()
        # The latest transaction of the previous card, which a points transfer names as its counterpart.
        self._last_transaction_elsewhere: str | None = None
        self.rollbacks = True
        # Products, SKUs and API logs draw from a stream of their own, made after everything else: adding them
        # left every other record as it was.
        self.catalog_rng = random.Random(f"catalog-{seed}")
        # Per customer index: (ms, voucher id) of the latest successful publication to them.
        self.latest_publication: dict[int, tuple[int, str]] = {}

    # identifiers ---------------------------------------------------------------------------------
    def ident(self, prefix: str, nbytes: int = 18) -> str:
        return prefix + base64.b64encode(self.rng.randbytes(nbytes)).decode().translate(_ALNUM)

    def hex_ident(self, prefix: str) -> str:
        return prefix + self.rng.randbytes(9).hex()

    def code(self, index: int, prefix: str) -> str:
        """A unique code: the index through a bijection of 40 bits, so codes never collide."""
        bits = ((index * 0x9E3779B97F4A7C15) & ((1 << _CODE_MASK_BITS) - 1)) ^ self._code_mask
        body = base64.b32encode(bits.to_bytes(5, "big")).decode()
        return f"{prefix}-{body}" if prefix else body

    def next_order_source(self) -> str:
        self.order_seq += 1
        return f"ORD-{self.order_seq:07d}"

    def between(self, low_ms: int, high_ms: int) -> int:
        return low_ms if high_ms <= low_ms else self.rng.randrange(low_ms, high_ms)

    def events(self, after_ms: int, count: int) -> Iterator[int]:
        at = after_ms
        for _ in range(count):
            at += self.rng.randrange(HOUR_MS, 40 * DAY_MS)
            if at >= self.anchor_ms:
                return
            yield at
