"""The per-resource export endpoints: which rows each one exports and how its export object shows that.

Each endpoint resolves the ids in its path against the store into a `Resource`: the conditions that
narrow the rows, and the conditions the export object echoes in `parameters.filters`, which follow
real answers rather than the rows (a voucher scope shows the code from the path, not the resolved
id; a points-expiration export shows nothing of its campaign). The endpoints behind the CLI's
`--voucher`/`--campaign` options are built from `schema.Scope`, so the two cannot name different paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exportctl import schema
from exportctl.sandbox.query import Condition
from exportctl.sandbox.store import Store

TRANSACTION_CAMPAIGNS = ("GIFT_VOUCHER", "LOYALTY_CARD")
LOYALTY = ("LOYALTY_CARD",)


@dataclass(frozen=True)
class Resource:
    """What a per-resource endpoint exports."""

    exported_object: str
    scope: tuple[Condition, ...] = ()
    scope_echo: tuple[Condition, ...] = ()


class ResourceError(Exception):
    """The path names nothing exportable: a 404 `not_found` or a 403 `forbidden`."""

    def __init__(self, status: int, key: str, message: str, details: str, **extra: Any) -> None:
        super().__init__(details)
        self.status = status
        self.key = key
        self.message = message
        self.details = details
        self.extra = extra


def not_found(kind: str, resource_id: str) -> ResourceError:
    return ResourceError(
        404,
        "not_found",
        "Resource not found",
        f"Cannot find {kind} with id {resource_id}",
        resource_id=resource_id,
        resource_type=kind,
    )


def _in(name: str, value: str) -> tuple[Condition, ...]:
    return (Condition(name, "$in", (value,)),)


def _campaign(store: Store, id_or_name: str, voucher_types: tuple[str, ...]) -> str:
    campaign_id = store.find_campaign(id_or_name, voucher_types=voucher_types)
    if campaign_id is None:
        raise not_found("campaign", id_or_name)
    return campaign_id


def _loyalty_card(store: Store, code_or_id: str, campaign_id: str | None = None) -> str:
    """The id of a loyalty card (of `campaign_id`, when given), named by its code or id."""
    voucher_id = store.find_voucher(code_or_id)
    if voucher_id is not None:
        found = store.rows("SELECT voucher_type, campaign_id FROM vouchers WHERE id = ?", (voucher_id,))
        voucher_type, card_campaign = found[0]
        if voucher_type == "LOYALTY_CARD" and campaign_id in (None, card_campaign):
            return voucher_id
    raise not_found("loyalty card", code_or_id)


def voucher_transactions(store: Store, path: dict[str, str]) -> Resource:
    voucher_id = store.find_voucher(path["value"])
    if voucher_id is None:
        raise not_found("voucher", path["value"])
    return Resource("voucher_transactions", _in("voucher_id", voucher_id), _in("voucher_id", path["value"]))


def campaign_transactions(store: Store, path: dict[str, str]) -> Resource:
    campaign_id = store.find_campaign(path["value"], voucher_types=TRANSACTION_CAMPAIGNS)
    if campaign_id is None:
        if store.find_campaign(path["value"]) is None:
            raise not_found("campaign", path["value"])
        details = "Transactions are allowed only for loyalty or gift campaigns"
        raise ResourceError(403, "forbidden", "Forbidden", details)
    return Resource("voucher_transactions", _in("campaign_id", campaign_id), _in("campaign_id", campaign_id))


def points_expiration(store: Store, path: dict[str, str]) -> Resource:
    return Resource("points_expiration", _in("campaign_id", _campaign(store, path["value"], LOYALTY)))


def loyalty_transactions(store: Store, path: dict[str, str]) -> Resource:
    scope = _in("campaign_id", _campaign(store, path["campaign"], LOYALTY))
    return Resource("voucher_transactions", scope, scope)


def member_transactions(store: Store, path: dict[str, str]) -> Resource:
    campaign_id = _campaign(store, path["campaign"], LOYALTY) if "campaign" in path else None
    voucher_id = _loyalty_card(store, path["member"], campaign_id)
    return Resource("voucher_transactions", _in("voucher_id", voucher_id), _in("voucher_id", path["member"]))


def orders(store: Store, path: dict[str, str]) -> Resource:
    return Resource("order")


Resolver = Callable[[Store, dict[str, str]], Resource]

# A schema.Scope without a resolver here fails at import, not at the first request.
_FOR_SCHEMA_SCOPES: dict[tuple[str, str], Resolver] = {
    ("voucher_transactions", "voucher"): voucher_transactions,
    ("voucher_transactions", "campaign"): campaign_transactions,
    ("points_expiration", "campaign"): points_expiration,
}


def _pattern(path: str) -> re.Pattern[str]:
    """`/v1/loyalties/{campaign}/transactions/export` as a regular expression with named groups."""
    parts = re.split(r"\{(\w+)\}", path)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(f"^{regex}$")


ENDPOINTS: tuple[tuple[re.Pattern[str], Resolver], ...] = (
    *(
        (_pattern(scope.path), _FOR_SCHEMA_SCOPES[(name, scope.option)])
        for name, obj in schema.API_OBJECTS.items()
        for scope in obj.scopes
    ),
    (_pattern("/v1/loyalties/{campaign}/transactions/export"), loyalty_transactions),
    (_pattern("/v1/loyalties/members/{member}/transactions/export"), member_transactions),
    (_pattern("/v1/loyalties/{campaign}/members/{member}/transactions/export"), member_transactions),
    (_pattern("/v1/orders/export"), orders),
)
