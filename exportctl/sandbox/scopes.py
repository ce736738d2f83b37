"""The per-resource export endpoints: which rows each one exports and how its export object shows that.

Each endpoint resolves the ids in its path against the store into a `Resource`: the conditions that
narrow the rows, and the conditions the export object echoes in `parameters.filters`, which follow
real answers rather than the rows (a voucher scope shows the code from the path, not the resolved
id; a points-expiration export shows nothing of its campaign). The endpoints behind the CLI's
`--voucher`/`--campaign`/`--member` options are built from `schema.Scope`, so the two cannot name different paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from exportctl import schema
from exportctl.sandbox.apierrors import ApiError, not_found
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
        raise ApiError(403, "forbidden", "Forbidden", details)
    return Resource("voucher_transactions", _in("campaign_id", campaign_id), _in("campaign_id", campaign_id))


def points_expiration(store: Store, path: dict[str, str]) -> Resource:
    return Resource("points_expiration", _in("campaign_id", _campaign(store, path["value"], LOYALTY)))


def loyalty_transactions(store: Store, path: dict[str, str]) -> Resource:
    scope = _in("campaign_id", _campaign(store, path["value"], LOYALTY))
    return Resource("voucher_transactions", scope, scope)


def member_transactions(store: Store, path: dict[str, str]) -> Resource:
    campaign_id = _campaign(store, path["campaign"], LOYALTY) if "campaign" in path else None
    voucher_id = _loyalty_card(store, path["value"], campaign_id)
    return Resource("voucher_transactions", _in("voucher_id", voucher_id), _in("voucher_id", path["value"]))


def orders(store: Store, path: dict[str, str]) -> Resource:
    return Resource("order")


Resolver = Callable[[Store, dict[str, str]], Resource]

# By the schema.Scope's path ({value} is the option's value); a Scope without a resolver here fails at
# import, not at the first request.
_FOR_SCHEMA_SCOPES: dict[str, Resolver] = {
    "/v1/vouchers/{value}/transactions/export": voucher_transactions,
    "/v1/campaigns/{value}/transactions/export": campaign_transactions,
    "/v1/loyalties/{value}/points-expiration/export": points_expiration,
    "/v1/loyalties/{value}/transactions/export": loyalty_transactions,
    "/v1/loyalties/members/{value}/transactions/export": member_transactions,
    "/v1/loyalties/{campaign}/members/{value}/transactions/export": member_transactions,
}


def _pattern(path: str) -> re.Pattern[str]:
    """`/v1/loyalties/{campaign}/transactions/export` as a regular expression with named groups."""
    parts = re.split(r"\{(\w+)\}", path)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(f"^{regex}$")


_SCHEMA_PATHS = tuple(dict.fromkeys(scope.path for obj in schema.EXPORT_OBJECTS for scope in obj.scopes))
# Every endpoint, those behind the CLI's options included (the loyalty ones serve any client, too).
ENDPOINTS: tuple[tuple[re.Pattern[str], Resolver], ...] = (
    *((_pattern(path), _FOR_SCHEMA_SCOPES[path]) for path in _SCHEMA_PATHS),
    *((_pattern(path), resolver) for path, resolver in _FOR_SCHEMA_SCOPES.items() if path not in _SCHEMA_PATHS),
    (_pattern("/v1/orders/export"), orders),
)
