"""Which columns identify a row of each object: the table's primary key, on which rows are merged.

Every object has an `id`, except publications; when `id` is not among the exported fields:

- vouchers merge on `code` (unique in a project, as the API says);
- customers merge on `source_id` (the "unique custom customer identifier");
- publications have no identifier at all: they merge on the voucher code, the customer and the date
  (`voucher_code` or its default name `code`, `customer_id`, `date`): a voucher published to one
  customer at one instant is one publication.

A request whose fields hold none of these is refused offline, naming the fields to add.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from exportctl.errors import UsageError
from exportctl.schema import ExportObject

# The candidate keys of each command, best first; every other command has `id` alone.
KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "voucher": (("id",), ("code",)),
    "customer": (("id",), ("source_id",)),
    "publication": (("voucher_code", "customer_id", "date"), ("code", "customer_id", "date")),
}
DEFAULT_KEYS: tuple[tuple[str, ...], ...] = (("id",),)


def candidates(obj: ExportObject) -> tuple[tuple[str, ...], ...]:
    return KEYS.get(obj.command, DEFAULT_KEYS)


def key_for(obj: ExportObject, names: Iterable[str]) -> tuple[str, ...] | None:
    """The first candidate key whose columns are all among `names` (field names), or None."""
    present = set(names)
    return next((key for key in candidates(obj) if set(key) <= present), None)


def merge_key(obj: ExportObject, fields: Sequence[str] | None) -> tuple[str, ...]:
    """The key a load of `obj` with `fields` (None: the API's defaults) merges on; UsageError if it has none."""
    names = list(fields) if fields else list(obj.default_fields)
    key = key_for(obj, names)
    if key is None:
        raise UsageError(
            f"A {obj.command} export loaded into a table needs the fields that identify a row "
            f"({describe(obj)}); the fields asked for hold none of these.",
            hint=f"Add {', '.join(candidates(obj)[0])} to --fields.",
        )
    return key


def describe(obj: ExportObject) -> str:
    return " or ".join("+".join(key) for key in candidates(obj))
