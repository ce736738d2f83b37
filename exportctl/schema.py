"""The static schema tables: per exported object its fields, defaults, orders and filters.

This module is the one source of truth. The subcommands, the validation, shell completion,
the `schema` command, the sandbox and the README's field tables are all derived from it.
The tables follow `export-object.txt` (the documented export object); where the public OpenAPI
document adds something, it is listed in `api_only_fields` so the sandbox accepts it while the
CLI validates against the documented tables only.

Standard library only: it is imported on every start-up, including TAB completion.
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class ValueType(str, enum.Enum):
    """How a value is stored, compared and written in a CSV cell."""

    STRING = "string"
    INTEGER = "integer"  # counts and points
    AMOUNT = "amount"  # money, an integer number of cents
    NUMBER = "number"  # a number whose unit depends on the record (voucher value)
    BOOLEAN = "boolean"
    DATETIME = "datetime"  # ISO 8601, UTC
    DATE = "date"  # YYYY-MM-DD
    JSON = "json"  # an object, exported as compact JSON

    @property
    def is_numeric(self) -> bool:
        return self in (ValueType.INTEGER, ValueType.AMOUNT, ValueType.NUMBER)

    @property
    def is_temporal(self) -> bool:
        return self in (ValueType.DATETIME, ValueType.DATE)


# One-letter aliases keep the tables below readable, one field a line.
S, I, A, N, B, T, D, J = (  # noqa: E741
    ValueType.STRING,
    ValueType.INTEGER,
    ValueType.AMOUNT,
    ValueType.NUMBER,
    ValueType.BOOLEAN,
    ValueType.DATETIME,
    ValueType.DATE,
    ValueType.JSON,
)

_ACRONYMS = {"id": "ID", "qr": "QR", "url": "URL", "sku": "SKU"}


def title_for(name: str) -> str:
    """The default title of a field with no title of its own: `voucher_type` -> `Voucher Type`.

    Only a default: where a real export shows another title, the field's table gives it (`Field.title`).
    """
    words = name.replace(".", " ").replace("_", " ").split()
    return " ".join(_ACRONYMS.get(word, word[:1].upper() + word[1:]) for word in words)


# The records of the tables are NamedTuples, immutable values like frozen dataclasses: this module is
# imported on every start-up, `--help` and TAB presses included, and creating a dataclass costs 0.3-0.6 ms
# (its methods are compiled from source each time), a NamedTuple a tenth of that.


class Field(NamedTuple):
    """A column that an export can contain, with the title the API writes in the CSV's header row."""

    name: str
    type: ValueType
    description: str
    values: tuple[str, ...]  # the closed set of values, where the spec gives one
    title: str  # `title_for(name)` unless a real export shows another (see `_f`)
    # Other titles the API or the dashboard write for this field (`Is referral code?`): a header cell equal to one
    # names the field as its title does. Case and punctuation aside, see `files.csv_header.title_key`.
    aliases: tuple[str, ...] = ()


class FilterField(NamedTuple):
    """A field that `parameters.filters` may test."""

    name: str
    type: ValueType
    description: str
    values: tuple[str, ...] = ()
    # The record attribute the filter tests when it is not the field of the same name.
    tests: str | None = None
    # The operators the reference documents for this filter; empty: every operator of its type.
    operators: tuple[str, ...] = ()
    # Operators the API accepts on this filter but ignores (exportctl warns when one is sent).
    ignored: tuple[str, ...] = ()
    # FilterConditionsDateTime (campaign and loyalty transaction exports): `$more_than`/`$less_than` take
    # whole days ago, and every value is sent alone rather than in a list.
    day_counts: bool = False

    @property
    def attribute(self) -> str:
        return self.tests or self.name


class Scope(NamedTuple):
    """A per-resource endpoint that narrows an export to one voucher, campaign or loyalty card."""

    option: str  # the CLI option: "voucher", "campaign" or "member"
    path: str  # the endpoint, with {value} standing for the option's value (and {<along>} for the other's)
    help: str
    along: str | None = None  # a second option given with this one, named in the path too
    one_kind: bool = False  # the endpoint exports only the command's kind of transactions
    # The endpoint's own filters (FilterConditionsDateTime dates) replace the object's; None: the object's.
    filters: tuple[FilterField, ...] | None = None


class ExportObject(NamedTuple):
    """One exportable object as the CLI sees it."""

    command: str  # the subcommand: "voucher", "gift-card-transactions"
    exported_object: str  # the API's `exported_object`
    summary: str
    fields: tuple[Field, ...]
    default_fields: tuple[str, ...]
    orders: tuple[str, ...]
    filters: tuple[FilterField, ...]
    field_prefixes: tuple[str, ...] = ("metadata.",)
    filter_prefixes: tuple[str, ...] = ("metadata.",)
    api_only_fields: tuple[Field, ...] = ()
    scopes: tuple[Scope, ...] = ()
    kind: str | None = None  # for the transaction kinds: "gift" or "loyalty"
    # Where the tables come from; anything but DOCUMENTED is unverified against a real CSV.
    source: str = "documented"

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def filter_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.filters)

    @property
    def accepted_field_names(self) -> tuple[str, ...]:
        """Every field name `--fields` takes: the tables', then the API-only ones (defaults, OpenAPI, real exports)."""
        documented = self.field_names
        return (*documented, *(f.name for f in self.api_only_fields if f.name not in documented))

    def get_field(self, name: str) -> Field | None:
        """The documented field called `name`, an API-only one, or a field under a documented prefix."""
        # A scan: a table has at most a few dozen fields, and lookups happen per column, never per row.
        found = next((f for f in (*self.fields, *self.api_only_fields) if f.name == name), None)
        if found is not None:
            return found
        prefix = next((p for p in self.field_prefixes if name.startswith(p)), None)
        if prefix is not None and len(name) > len(prefix):
            return Field(
                name, ValueType.STRING, f"The {name[len(prefix) :]} {prefix[:-1]} property.", (), title_for(name)
            )
        return None

    def title_of(self, name: str) -> str:
        """The CSV title of a field this object accepts, API-only ones included."""
        found = self.get_field(name)
        return found.title if found is not None else title_for(name)

    def get_filter(self, name: str) -> FilterField | None:
        """The filter field called `name`, or one under a documented filter prefix."""
        for candidate in self.filters:
            if candidate.name == name:
                return candidate
        prefix = next((p for p in self.filter_prefixes if name.startswith(p)), None)
        if prefix is not None and len(name) > len(prefix):
            return FilterField(name, ValueType.STRING, f"The {name[len(prefix) :]} {prefix[:-1]} property.")
        return None

    def for_scope(self, scope: Scope | None) -> ExportObject:
        """This object as a per-resource endpoint filters it: the endpoint's own filter tables, if it has them."""
        if scope is None or scope.filters is None:
            return self
        return self._replace(filters=scope.filters)


# Where a table comes from (`ExportObject.source`), as `exportctl schema` shows it.
DOCUMENTED, SDK_ENUM, CHANGELOG = "documented", "sdk-enum", "changelog"
SOURCES: dict[str, str] = {
    DOCUMENTED: "the documented export object (export-object.txt); verified against its field and order tables",
    SDK_ENUM: "the official SDKs' enums (Python SDK 6.1.1, JS SDK docs) and the Create Export text; "
    "no real CSV seen: titles and types unverified",
    CHANGELOG: "the changelog only (v20251007, 2025-10-16); in no OpenAPI document or SDK enum: unverified",
}


def _f(
    name: str, type_: ValueType, description: str, *values: str, title: str = "", aliases: tuple[str, ...] = ()
) -> Field:
    return Field(name, type_, description, tuple(values), title or title_for(name), aliases)


# The dashboard's column labels (api-facts.md, second pass: docs PR #1251, low-medium confidence) where they
# differ from the titles beyond case and punctuation, or to record them: `Field.aliases`.
_DASHBOARD_REFERRAL = ("Is referral code?",)
_DASHBOARD_DAY_OF_WEEK = ("Validity Day of Week",)
_DASHBOARD_VOUCHER_CODE = ("Voucher code",)


def _flt(
    name: str,
    type_: ValueType,
    description: str,
    *values: str,
    tests: str | None = None,
    operators: tuple[str, ...] = (),
    ignored: tuple[str, ...] = (),
) -> FilterField:
    return FilterField(name, type_, description, tuple(values), tests, operators, ignored)


def _both_ways(*names: str) -> tuple[str, ...]:
    return tuple(order for name in names for order in (name, f"-{name}"))


_CREATED = "Timestamp in ISO 8601 format representing the date and time when the {} was created."
_UPDATED = "Timestamp in ISO 8601 format representing the date and time when the {} was last updated."

ORDER_STATUSES = ("CREATED", "PAID", "FULFILLED", "CANCELED")
VOUCHER_TYPES = ("DISCOUNT_VOUCHER", "GIFT_VOUCHER", "LOYALTY_CARD")
DISCOUNT_TYPES = ("AMOUNT", "PERCENT", "UNIT", "FIXED")
UNIT_EFFECTS = ("ADD_MANY_ITEMS", "ADD_MISSING_ITEMS", "ADD_NEW_ITEMS")
REDEMPTION_RESULTS = ("SUCCESS", "FAILURE")
GIFT_TRANSACTION_TYPES = ("CREDITS_REMOVAL", "CREDITS_ADDITION", "CREDITS_REFUND", "CREDITS_REDEMPTION")
LOYALTY_TRANSACTION_TYPES = (
    "POINTS_EXPIRATION",
    "POINTS_ADDITION",
    "POINTS_REMOVAL",
    "POINTS_TRANSFER_OUT",
    "POINTS_ACCRUAL",
    "POINTS_REFUND",
    "POINTS_REDEMPTION",
    # LoyaltyCardTransactionsType lists these two beside the export table's seven.
    "POINTS_TRANSFER_IN",
    "PENDING_POINTS_ACTIVATION",
)
# export-object.txt says ACTIVE or INACTIVE, the Create Export text ACTIVE or EXPIRED: all three are admitted.
BUCKET_STATUSES = ("ACTIVE", "INACTIVE", "EXPIRED")
# The operators the reference documents for some filters (item by item below).
_IS = ("$is",)
_IN = ("$in",)
_IDS = ("$in", "$not_in", "$is", "$is_not")


def _metadata(owner: str) -> Field:
    return _f("metadata", J, f"Returns all {owner} metadata.")


ORDER = ExportObject(
    command="order",
    exported_object="order",
    summary="Orders: amounts, discounts, status and the customer who placed them.",
    fields=(
        _f("id", S, "Unique order ID."),
        _f("source_id", S, "Unique order source ID.", aliases=("Order Source ID",)),
        _f("created_at", T, _CREATED.format("order")),
        _f("updated_at", T, _UPDATED.format("order")),
        _f("status", S, "Order status.", *ORDER_STATUSES),
        _f("amount", A, "Total amount of order items."),
        _f("discount_amount", A, "Represents total amount of the discount applied to whole cart."),
        _f("items_discount_amount", A, "Represents total amount of the discount applied to order line items."),
        _f(
            "total_discount_amount",
            A,
            "All discounts applied to the order including discounts applied to particular order line items "
            "and discounts applied to the whole cart.",
        ),
        _f("total_amount", A, "Total order amount after applying all discounts."),
        _f("customer_id", S, "Customer unique ID."),
        _f("referrer_id", S, "Referrer unique ID."),
        _metadata("order"),
    ),
    default_fields=("id", "source_id", "status"),
    orders=_both_ways("created_at", "updated_at", "status"),
    filters=(
        _flt("status", S, "Order status.", *ORDER_STATUSES),
        _flt("source_id", S, "Unique order source ID."),
        _flt("amount", A, "Total amount of order items."),
        _flt("total_amount", A, "Total order amount after applying all discounts."),
        _flt("discount_amount", A, "Discount applied to the whole cart."),
        _flt("total_discount_amount", A, "All discounts applied to the order."),
        _flt("items_discount_amount", A, "Discount applied to order line items."),
        _flt("customer_id", S, "Customer unique ID."),
        _flt("created_at", T, "When the order was created."),
        _flt("updated_at", T, "When the order was last updated."),
    ),
    scopes=(),
)

VOUCHER = ExportObject(
    command="voucher",
    exported_object="voucher",
    summary="Vouchers: discount codes, gift cards and loyalty cards.",
    fields=(
        _f("id", S, "Unique voucher ID."),
        _f("code", S, "Unique voucher code.", aliases=_DASHBOARD_VOUCHER_CODE),
        _f("voucher_type", S, "Type of voucher.", *VOUCHER_TYPES),
        _f(
            "value",
            N,
            "Value of voucher: for a DISCOUNT_VOUCHER the amount, percent or unit; for a GIFT_VOUCHER the "
            "amount left to spend; for a LOYALTY_CARD the available usable points.",
        ),
        _f("discount_type", S, "The type of discount for a DISCOUNT_VOUCHER.", *DISCOUNT_TYPES),
        _f("campaign", S, "Unique campaign name."),
        _f("category", S, "Tag defining the category that this voucher belongs to."),
        _f("start_date", T, "Activation timestamp; the voucher is inactive before this date."),
        _f("expiration_date", T, "Expiration timestamp; the voucher is inactive after this date."),
        _f("gift_balance", A, "Amount left to spend."),
        # A `title=` is what real voucher exports write (api-facts.md); the formula would get it wrong.
        _f("loyalty_balance", I, "Available usable points.", title="Loyalty Card Balance"),
        _f("redemption_quantity", I, "Maximum number of times a voucher can be redeemed.", title="Redemption Limit"),
        _f("redemption_count", I, "Total redemptions."),
        _f("active", B, "Boolean indicating whether the voucher is available for use."),
        _f("qr_code", S, "URL to QR representation of encrypted code."),
        _f("bar_code", S, "URL to barcode representation of encrypted code.", title="Barcode"),
        _f(
            "is_referral_code",
            B,
            "Boolean indicating whether the voucher is a referral code.",
            aliases=_DASHBOARD_REFERRAL,
        ),
        _f("created_at", T, _CREATED.format("voucher"), title="Creation Date"),
        _f("updated_at", T, _UPDATED.format("voucher"), title="Last Update Date"),
        _f("validity_timeframe_interval", S, "Interval between two active periods, as an ISO 8601 duration (P2D)."),
        _f("validity_timeframe_duration", S, "How long each active period lasts, as an ISO 8601 duration (PT1H)."),
        _f(
            "validity_day_of_week",
            S,
            "Days of the week on which the voucher is valid (0 is Sunday): 1,2,3,4,5.",
            aliases=_DASHBOARD_DAY_OF_WEEK,
        ),
        _f(
            "discount_amount_limit",
            A,
            "For a PERCENT discount, the maximum amount that may be deducted.",
            aliases=("Discount Aggregated Amount Limit",),
        ),
        _f("campaign_id", S, "Parent campaign ID."),
        _f("additional_info", S, "Extra textual information about the code, such as a description."),
        _f("customer_id", S, "Unique customer ID of the assigned owner to whom the voucher was published."),
        _f("discount_unit_type", S, "For a UNIT discount, the shipping or product ID of the unit."),
        _f("discount_unit_effect", S, "UNIT discount effect.", *UNIT_EFFECTS),
        _f("customer_source_id", S, "Source ID of the assigned owner to whom the voucher was published."),
        _metadata("voucher"),
    ),
    default_fields=("code", "voucher_type", "value", "discount_type"),
    orders=_both_ways("created_at", "updated_at", "code"),
    filters=(
        _flt("code", S, "Voucher code."),
        _flt("vouchers", S, "Voucher IDs.", tests="id"),
        _flt("type", S, "Type of voucher.", *VOUCHER_TYPES, tests="voucher_type"),
        _flt("categories", S, "Category name.", tests="category"),
        _flt("category_ids", S, "Category ID.", tests="category_id"),
        _flt("holder_id", S, "Customer ID of the holder.", tests="customer_id"),
        _flt("published_for_customer_id", S, "Customer ID the voucher was published for.", tests="customer_id"),
        _flt("is_referral_code", B, "Whether the voucher is a referral code."),
        _flt("active", B, "Whether the voucher is available for use."),
        _flt("validity_timeframe", S, "The validity timeframe interval.", tests="validity_timeframe_interval"),
        _flt("validity_day_of_week", S, "Days of the week on which the voucher is valid."),
        _flt("start_date", T, "Activation timestamp."),
        _flt("expiration_date", T, "Expiration timestamp."),
        _flt("created_at", T, "When the voucher was created."),
        _flt("updated_at", T, "When the voucher was last updated."),
        # The reference's list filters (api-facts.md, second pass).
        _flt("created_date", T, "When the voucher was created (the reference's name).", tests="created_at"),
        _flt("redemption_status", S, "How far the voucher has been redeemed."),
    ),
    filter_prefixes=("metadata.", "redemption."),
    api_only_fields=(
        _f("formula", S, "Formula used to compute the value (OpenAPI only)."),
        _f("discount_effect", S, "Discount effect (OpenAPI only)."),
        _f("validation_rules_id", S, "Validation rule ID (OpenAPI only)."),
    ),
)

PUBLICATION = ExportObject(
    command="publication",
    exported_object="publication",
    summary="Publications: which voucher was given to which customer, when and through which channel.",
    fields=(
        _f("voucher_code", S, "Unique voucher code.", aliases=_DASHBOARD_VOUCHER_CODE),
        _f("customer_id", S, "Customer unique ID."),
        _f("customer_source_id", S, "Source ID of the customer to whom the voucher was published."),
        _f("date", T, "When the voucher was published."),
        _f("channel", S, "Publication channel."),
        _f("campaign", S, "Unique campaign name."),
        _f("is_winner", B, "Whether the publication won a prize (campaigns with winners)."),
        _metadata("publication"),
    ),
    # The documented default names `code`; the API accepts it as the voucher code column.
    default_fields=("code", "customer_id", "date", "channel"),
    orders=_both_ways("id", "voucher_code", "tracking_id", "customer_id", "created_at", "channel"),
    filters=(
        _flt("failure_code", S, "Why the publication failed."),
        _flt("result", S, "Whether the publication succeeded.", *REDEMPTION_RESULTS),
        _flt("customer_id", S, "Customer unique ID."),
        _flt("campaign_name", S, "Campaign name.", tests="campaign"),
        _flt("voucher_type", S, "Type of the published voucher.", *VOUCHER_TYPES),
        _flt("is_referral_code", B, "Whether the published voucher is a referral code."),
        _flt("parent_object_id", S, "ID of the campaign the voucher belongs to.", tests="campaign_id"),
        _flt("related_object_id", S, "ID of the published voucher.", tests="voucher_id"),
        _flt("source_id", S, "Publication source ID."),
        _flt("created_at", T, "When the voucher was published.", tests="date"),
        # The reference's list filters (api-facts.md, second pass).
        _flt("campaign", S, "Campaign name.", tests="campaign"),
        _flt("customer", S, "Customer ID.", tests="customer_id"),
        _flt("voucher", S, "Voucher code.", tests="voucher_code"),
    ),
    api_only_fields=(_f("code", S, "Voucher code (the documented default name of voucher_code)."),),
)

REDEMPTION = ExportObject(
    command="redemption",
    exported_object="redemption",
    summary="Redemptions: every attempt to use a voucher, successful or not, with its failure code.",
    fields=(
        _f("id", S, "Unique redemption ID."),
        _f("object", S, "Object being exported; by default redemption.", "redemption", "redemption_rollback"),
        _f("date", T, "When the voucher was redeemed."),
        _f("voucher_code", S, "Unique voucher code redeemed.", aliases=_DASHBOARD_VOUCHER_CODE),
        _f("campaign", S, "Parent campaign name of voucher if applicable."),
        _f("promotion_tier_id", S, "ID of the promotion tier redeemed, if any.", aliases=("Promotion Tier",)),
        _f("customer_id", S, "Unique customer ID of redeeming customer."),
        _f("customer_source_id", S, "Unique source ID of redeeming customer."),
        _f("customer_name", S, "Customer name."),
        _f("tracking_id", S, "Tracking ID of the redeeming customer."),
        _f("order_amount", A, "Total order amount before applying all discounts."),
        _f("gift_amount", A, "Gift credits used for redemption."),
        _f("loyalty_points", I, "Loyalty points used for redemption."),
        _f("result", S, "Tells you whether the redemption succeeded.", *REDEMPTION_RESULTS),
        _f("failure_code", S, "Internal Voucherify code for reason why redemption failed."),
        _f("failure_message", S, "A human-readable description of why the redemption failed."),
        _metadata("redemption"),
    ),
    default_fields=("id", "object", "voucher_code", "customer_id", "date", "result"),
    orders=_both_ways("id", "voucher_code", "tracking_id", "customer_id", "created_at"),
    filters=(
        _flt("voucher_code", S, "Voucher code redeemed."),
        _flt("related_object_id", S, "ID of the order the redemption belongs to.", tests="order_id"),
        _flt("related_object_parent_id", S, "ID of the campaign of the voucher.", tests="campaign_id"),
        _flt("parent_redemption_id", S, "ID of the parent redemption (stacked redemptions)."),
        _flt("failure_code", S, "Why the redemption failed."),
        _flt("result", S, "Whether the redemption succeeded.", *REDEMPTION_RESULTS),
        _flt("object", S, "Redemption or rollback.", "redemption", "redemption_rollback"),
        _flt("customer_id", S, "Customer unique ID."),
        _flt("campaign_name", S, "Campaign name.", tests="campaign"),
        _flt("user_login", S, "Login of the dashboard user who redeemed."),
        _flt("created_at", T, "When the voucher was redeemed.", tests="date"),
        # Not in the documented table; real pipelines filter redemptions on it beside created_at.
        _flt("updated_at", T, "When the redemption was last updated."),
        # The reference's list filters (api-facts.md, second pass): `voucher` with $is, `related_object` with $in.
        _flt("campaign", S, "Campaign name.", tests="campaign"),
        _flt("customer", S, "Customer ID.", tests="customer_id"),
        _flt("voucher", S, "Voucher code.", tests="voucher_code", operators=_IS),
        _flt("related_object", S, "What was redeemed: voucher or promotion_tier.", operators=_IN),
        _flt("status", S, "Redemption status: SUCCEEDED, FAILED, ROLLED_BACK..."),
    ),
    api_only_fields=(_f("order_id", S, "ID of the order the redemption belongs to (OpenAPI only)."),),
)

CUSTOMER = ExportObject(
    command="customer",
    exported_object="customer",
    summary="Customers: contact details, addresses and redemption, order and loyalty summaries.",
    fields=(
        _f("name", S, "Customer name."),
        _f("id", S, "Unique customer ID."),
        _f("description", S, "An arbitrary string that you can attach to a customer object."),
        _f("email", S, "Customer's email."),
        _f("source_id", S, "Unique custom customer identifier."),
        _f("created_at", T, _CREATED.format("customer")),
        _f("address_city", S, "City."),
        _f("address_state", S, "State."),
        _f("address_line_1", S, "First line of customer's address."),
        _f("address_line_2", S, "Second line of customer's address."),
        _f("address_country", S, "Country."),
        _f("address_postal_code", S, "Postal code (ZIP code)."),
        _f("redemptions_total_redeemed", I, "Total customer redemptions."),
        _f("redemptions_total_failed", I, "Total customer failed redemptions."),
        _f("redemptions_total_succeeded", I, "Total customer succeeded redemptions."),
        _f("redemptions_total_rolled_back", I, "Total customer redemptions that were rolled back."),
        _f("redemptions_total_rollback_failed", I, "Total customer redemptions that were unsuccessfully rolled back."),
        _f("redemptions_total_rollback_succeeded", I, "Total customer redemptions that were successfully rolled back."),
        _f("orders_total_amount", A, "Total sum of order amounts over customer lifetime."),
        _f("orders_total_count", I, "Total number of customer orders."),
        _f("orders_average_amount", A, "Average amount spent on orders."),
        _f("orders_last_order_amount", A, "How much did the customer spend on their last order."),
        _f("orders_last_order_date", T, "When was the last customer order."),
        _f("loyalty_points", I, "Sum of customer's loyalty points to go across all loyalty cards."),
        _f("loyalty_referred_customers", I, "How many customers were referred by this customer."),
        _f("updated_at", T, _UPDATED.format("customer")),
        _f("phone", S, "Customer's phone number."),
        _f("birthday", D, "Customer's birthday."),
        _metadata("customer"),
        _f("birthdate", D, "Customer's birthdate."),
    ),
    default_fields=("name", "source_id"),
    orders=_both_ways("name", "id", "email", "source_id", "created_at", "updated_at"),
    filters=(
        _flt("name", S, "Customer name."),
        _flt("email", S, "Customer's email."),
        _flt("phone", S, "Customer's phone number."),
        _flt("source_id", S, "Unique custom customer identifier."),
        _flt("birthday", D, "Customer's birthday."),
        _flt("birthdate", D, "Customer's birthdate."),
        _flt("created_at", T, "When the customer was created."),
        # The API ignores $is_not here ($before, $after and $is work: changelog/OPEN-API.md, 2024-02-28).
        _flt("updated_at", T, "When the customer was last updated.", ignored=("$is_not",)),
        _flt("city", S, "City (the reference's name).", tests="address.city"),
        _flt("publications.created_at", T, "When a voucher was published to the customer."),
        _flt("publications.related_object_id", S, "The voucher published to the customer."),
        _flt("address.city", S, "City."),
        _flt("address.state", S, "State."),
        _flt("address.country", S, "Country."),
        _flt("address.postal_code", S, "Postal code."),
        _flt("loyalty_points", I, "Loyalty points across all loyalty cards."),
        _flt("summary.orders.total_amount", A, "Total sum of order amounts."),
        _flt("summary.orders.last_order_date", T, "When was the last customer order."),
        _flt("summary.orders.last_order_amount", A, "Amount of the last order."),
        _flt("summary.redemptions.gift.redeemed_amount", A, "Gift credits redeemed."),
        _flt("summary.redemptions.total_succeeded", I, "Succeeded redemptions."),
        _flt("system_metadata.source", S, "Where the customer record came from."),
        _flt("system_metadata.consents.unsubscribed", B, "Whether the customer unsubscribed."),
    ),
    field_prefixes=("metadata.", "address.", "summary.", "loyalty.", "system_metadata."),
    # The customer filters the API documents beyond the spec's table (loyalty_tier.<tier id>.*,
    # loyalty_points.<campaign id>.*, events.<event>.*, system.metadata.*).
    filter_prefixes=(
        "metadata.",
        "address.",
        "summary.",
        "loyalty.",
        "system_metadata.",
        "loyalty_tier.",
        "loyalty_points.",
        "events.",
        "system.metadata.",
    ),
)

POINTS_EXPIRATION = ExportObject(
    command="points-expiration",
    exported_object="points_expiration",
    summary="Loyalty point buckets and when their points expire.",
    fields=(
        _f("id", S, "Loyalty points bucket ID."),
        _f("campaign_id", S, "Campaign ID of the parent loyalty campaign."),
        _f("voucher_id", S, "Voucher ID of the parent loyalty card."),
        _f("status", S, "Status of the loyalty points bucket.", *BUCKET_STATUSES),
        _f("expires_at", D, "The date when the points expire."),
        _f("points", I, "Number of points."),
    ),
    default_fields=("id", "campaign_id", "voucher_id", "status", "expires_at", "points"),
    orders=_both_ways("expires_at"),
    filters=(
        _flt("campaign_id", S, "Campaign ID of the parent loyalty campaign."),
        _flt("voucher_id", S, "Voucher ID of the parent loyalty card."),
    ),
    field_prefixes=(),
    filter_prefixes=(),
    scopes=(
        Scope(
            "campaign",
            "/v1/loyalties/{value}/points-expiration/export",
            "Only the buckets of this loyalty campaign (ID or name).",
        ),
    ),
)


def _transaction_fields(card: str, types: tuple[str, ...], unit: str) -> tuple[Field, ...]:
    # Gift cards move money (cents); loyalty cards move points. The mixed table says NUMBER.
    amount_type = A if unit == "credits" else I if unit == "points" else N
    return (
        _f("id", S, "Unique transaction ID."),
        _f("type", S, "Transaction type.", *types),
        _f("source_id", S, "Custom source ID of the transaction if one was included originally."),
        _f("reason", S, "Contains the reason for the transaction if one was included originally."),
        _f("balance", amount_type, f"The {card} balance after the transaction."),
        _f(
            "amount",
            amount_type,
            f"The {unit} allocated by the transaction; negative or positive depending on its nature.",
        ),
        _f("created_at", T, _CREATED.format("transaction"), aliases=("Creation date",)),
        _f("voucher_id", S, "Unique Voucher ID."),
        _f("campaign_id", S, "Parent campaign ID."),
        _f(
            "source",
            S,
            "Channel through which the transaction was initiated.",
            "API",
            "voucherify-web-ui",
            "Automation",
        ),
        _f("details", J, "More detailed information stored in the form of a JSON."),
    )


_TRANSACTION_FILTERS = (
    _flt("created_at", T, "When the transaction was created."),
    _flt("voucher_id", S, "Unique Voucher ID."),
    _flt("campaign_id", S, "Parent campaign ID."),
)
# The campaign and loyalty transaction exports take their dates as FilterConditionsDateTime: $after and $before
# an instant, $more_than and $less_than whole days ago, $has_value and $is_unknown; each value alone.
DATE_TIME_CONDITIONS = ("$after", "$before", "$more_than", "$less_than", "$has_value", "$is_unknown")
_DAY_COUNT_FILTERS = (
    FilterField(
        "created_at",
        T,
        "When the transaction was created ($more_than/$less_than: whole days ago).",
        operators=DATE_TIME_CONDITIONS,
        day_counts=True,
    ),
    *_TRANSACTION_FILTERS[1:],
)
_TRANSACTION_SCOPES = (
    Scope("voucher", "/v1/vouchers/{value}/transactions/export", "Only the transactions of this card (code or ID)."),
    Scope(
        "campaign",
        "/v1/campaigns/{value}/transactions/export",
        "Only the transactions of this campaign (ID or name).",
        filters=_DAY_COUNT_FILTERS,
    ),
)
# The loyalty endpoints export loyalty cards' transactions only, so they need no row filter on `type`.
_LOYALTY_SCOPES = (
    _TRANSACTION_SCOPES[0],
    Scope(
        "campaign",
        "/v1/loyalties/{value}/transactions/export",
        "Only the transactions of this loyalty campaign (ID or name).",
        one_kind=True,
        filters=_DAY_COUNT_FILTERS,
    ),
    Scope(
        "member",
        "/v1/loyalties/members/{value}/transactions/export",
        "Only the transactions of this loyalty card (code or ID); with --campaign, of that campaign's card.",
        one_kind=True,
        filters=_DAY_COUNT_FILTERS,
    ),
    Scope(
        "member",
        "/v1/loyalties/{campaign}/members/{value}/transactions/export",
        "Only the transactions of this loyalty card of the --campaign.",
        along="campaign",
        one_kind=True,
        filters=_DAY_COUNT_FILTERS,
    ),
)
# What the API answers when `fields` is omitted; it names `status`, which no transaction table lists.
_TRANSACTION_DEFAULTS = ("id", "type", "source_id", "status", "reason", "source", "balance", "amount", "created_at")
_RELATED = _f(
    "related_transaction_id",
    S,
    "Unique transaction ID related to a receiver/donor card in the case of a points transfer.",
)


_TRANSACTION_STATUS = _f("status", S, "Transaction status (named only by the documented defaults).")


def _transactions(
    command: str,
    summary: str,
    fields: tuple[Field, ...],
    *,
    kind: str | None,
    api_only: tuple[Field, ...] = (),
    scopes: tuple[Scope, ...] = _TRANSACTION_SCOPES,
) -> ExportObject:
    """A `voucher_transactions` export: the three transaction commands differ only in their fields."""
    return ExportObject(
        command=command,
        exported_object="voucher_transactions",
        summary=summary,
        fields=fields,
        default_fields=_TRANSACTION_DEFAULTS,
        orders=_both_ways("created_at"),
        filters=_TRANSACTION_FILTERS,
        field_prefixes=(),
        filter_prefixes=(),
        # The documented default fields name `status`, which no field table lists: the default list
        # passed back as --fields must work for every transactions command.
        api_only_fields=(_TRANSACTION_STATUS, *api_only),
        scopes=scopes,
        kind=kind,
    )


GIFT_CARD_TRANSACTIONS = _transactions(
    "gift-card-transactions",
    "Credit movements on gift cards (CREDITS_* transactions).",
    _transaction_fields("gift card", GIFT_TRANSACTION_TYPES, "credits"),
    kind="gift",
)
# The spec's table lists `source` for loyalty transactions but its "Available values" line leaves it
# out; the OpenAPI enum has it, so it is accepted.
LOYALTY_CARD_TRANSACTIONS = _transactions(
    "loyalty-card-transactions",
    "Point movements on loyalty cards (POINTS_* transactions).",
    (*_transaction_fields("loyalty card", LOYALTY_TRANSACTION_TYPES, "points"), _RELATED),
    kind="loyalty",
    scopes=_LOYALTY_SCOPES,
)
VOUCHER_TRANSACTIONS = _transactions(
    "voucher-transactions",
    "Gift card and loyalty card transactions together.",
    (
        *_transaction_fields(
            "gift card or loyalty card",
            GIFT_TRANSACTION_TYPES + LOYALTY_TRANSACTION_TYPES,
            "credits or points",
        ),
        _RELATED,
    ),
    kind=None,
)


# --- the objects the documented export object does not list yet (see `source`) --------------------------

CURRENCIES = ("EUR", "USD", "GBP", "PLN", "JPY")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_PRODUCT_LIKE_ORDERS = ("created_at", "updated_at", "id")
# Not documented for these objects: the filters every object has, so that --since/--until, split and
# incremental exports work; marked unverified with the tables.
_UNVERIFIED_FILTERS = (
    _flt("created_at", T, "When the record was created (not documented for this object)."),
    _flt("updated_at", T, "When the record was last updated (not documented for this object)."),
)

PRODUCT = ExportObject(
    command="product",
    exported_object="product",
    summary="Products: names, prices, images and the attributes their SKUs vary by (SDK enums; unverified).",
    fields=(
        _f("id", S, "Unique product ID."),
        _f("name", S, "Product name."),
        _f("price", A, "Unit price, an integer number of cents."),
        _f("image_url", S, "URL of the product's image."),
        _f("source_id", S, "Unique product source ID."),
        _f("attributes", J, "The attribute names the product's SKUs set (a JSON array)."),
        _f("created_at", T, _CREATED.format("product")),
        _f("updated_at", T, _UPDATED.format("product")),
        _metadata("product"),
    ),
    default_fields=("id", "name", "price", "image_url", "source_id", "attributes", "created_at"),
    orders=_both_ways(*_PRODUCT_LIKE_ORDERS, "name"),
    filters=_UNVERIFIED_FILTERS,
    field_prefixes=("metadata.", "attributes."),
    filter_prefixes=("metadata.",),
    source=SDK_ENUM,
)

SKU = ExportObject(
    command="sku",
    exported_object="sku",
    summary="SKUs: product variants with currency, price and attribute values (SDK enums; unverified).",
    fields=(
        _f("id", S, "Unique SKU ID."),
        _f("sku", S, "The SKU's name."),
        _f("product_id", S, "ID of the parent product."),
        _f("currency", S, "ISO 4217 currency of the price.", *CURRENCIES),
        _f("price", A, "Unit price, an integer number of cents of the currency."),
        _f("image_url", S, "URL of the SKU's image."),
        _f("source_id", S, "Unique SKU source ID."),
        _f("attributes", J, "The SKU's attribute values (a JSON object: color, size...)."),
        _f("created_at", T, _CREATED.format("SKU")),
        _f("updated_at", T, _UPDATED.format("SKU")),
        _metadata("SKU"),
    ),
    default_fields=(
        "id",
        "sku",
        "product_id",
        "currency",
        "price",
        "image_url",
        "source_id",
        "attributes",
        "created_at",
    ),
    orders=_both_ways(*_PRODUCT_LIKE_ORDERS, "product_id", "sku"),
    filters=(*_UNVERIFIED_FILTERS, _flt("product_id", S, "ID of the parent product (not documented).")),
    field_prefixes=("metadata.", "attributes."),
    filter_prefixes=("metadata.",),
    source=SDK_ENUM,
)

_API_LOG_FIELDS = (
    _f("id", S, "Unique API log entry ID."),
    _f("created_at", T, "When the request was received."),
    _f("status", I, "The HTTP status code of the response."),
    _f("request_id", S, "The request ID the API answered with (v-...)."),
    _f("channel", S, "Where the request came from: API, WEBSITE (the dashboard), CLIENT_API..."),
    _f("method", S, "HTTP method.", *HTTP_METHODS),
    _f("endpoint", S, "The endpoint called, with its path parameters as placeholders."),
    _f("url", S, "The full URL called."),
    _f("user_email", S, "The dashboard user who made the request (WEBSITE channel)."),
    _f("app_id", S, "The application ID of the server-side key used."),
    _f("client_app_id", S, "The client-side application ID used."),
    _f("request_duration", I, "How long the API took to answer, in milliseconds."),
    _f("request_body", J, "The request body, as JSON text."),
    _f("response_body", J, "The response body, as JSON text."),
)
API_LOG = ExportObject(
    command="api-log",
    exported_object="api_log",
    summary="API request logs: method, endpoint, status, duration, bodies (changelog only; unverified).",
    fields=_API_LOG_FIELDS,
    # Not documented: the sandbox answers every field when `fields` is omitted.
    default_fields=tuple(f.name for f in _API_LOG_FIELDS),
    orders=_both_ways("created_at"),
    filters=(
        _flt("created_at", T, "When the request was received.", operators=("$after", "$before")),
        _flt("status", I, "The HTTP status code.", operators=("$is", "$is_not")),
        _flt("channel", S, "Where the request came from.", operators=("$in", "$not_in")),
        _flt("app_id", S, "The application ID used.", operators=_IDS),
        _flt("client_app_id", S, "The client-side application ID used.", operators=_IDS),
    ),
    field_prefixes=(),
    filter_prefixes=(),
    source=CHANGELOG,
)


EXPORT_OBJECTS: tuple[ExportObject, ...] = (
    ORDER,
    VOUCHER,
    PUBLICATION,
    REDEMPTION,
    CUSTOMER,
    POINTS_EXPIRATION,
    VOUCHER_TRANSACTIONS,
    GIFT_CARD_TRANSACTIONS,
    LOYALTY_CARD_TRANSACTIONS,
    PRODUCT,
    SKU,
    API_LOG,
)
BY_COMMAND: dict[str, ExportObject] = {obj.command: obj for obj in EXPORT_OBJECTS}

# The ten objects the API knows, each with its widest table (what the sandbox serves).
API_OBJECTS: dict[str, ExportObject] = {obj.exported_object: obj for obj in EXPORT_OBJECTS if obj.kind is None}

# The FiltersCondition operators, in the order the API documents them.
OPERATORS: tuple[str, ...] = (
    "$in",
    "$not_in",
    "$is",
    "$is_not",
    "$is_days_ago",
    "$is_days_in_future",
    "$has_value",
    "$is_unknown",
    "$contains",
    "$not_contain",
    "$starts_with",
    "$ends_with",
    "$more_than",
    "$less_than",
    "$more_than_ago",
    "$less_than_ago",
    "$more_than_future",
    "$less_than_future",
    "$more_than_equal",
    "$less_than_equal",
    "$after",
    "$before",
    "$count",
    "$count_less",
    "$count_more",
)

# The operators the API lists beyond FiltersCondition (its 400 message in the orders reference lists 68 in
# all; the conditions table of the voucherify-openapi guides, "documentation in progress"). exportctl sends
# them in the explicit form (FIELD:$operator[:VALUES]) and leaves their meaning to the API, checking values
# only where the documentation gives their form:
# - calendar periods apply to dates and "take true as the value": sent as {"$today": true};
CALENDAR_OPERATORS: tuple[str, ...] = (
    "$today",
    "$yesterday",
    "$tomorrow",
    "$this_week",
    "$last_week",
    "$next_week",
    "$this_month",
    "$last_month",
    "$next_month",
    "$this_year",
    "$last_year",
    "$next_year",
)
# - the month-and-day calendar periods (anniversaries, birthdays: the year is ignored) apply to dates; their
#   value form is undocumented: without a value they are sent as `true`, with values those as written;
CALENDAR_MD_OPERATORS: tuple[str, ...] = (
    "$today_md",
    "$tomorrow_md",
    "$yesterday_md",
    "$this_week_md",
    "$last_week_md",
    "$next_week_md",
    "$this_month_md",
    "$last_month_md",
    "$next_month_md",
)
# - a whole number of years, on dates;
YEARS_OPERATORS: tuple[str, ...] = ("$is_years_ago",)
# - the rest: the values as written, strings, at least one; their form is undocumented.
PASSED_THROUGH_OPERATORS: tuple[str, ...] = (
    "$in_location",
    "$not_in_location",
    "$before_start",
    "$is_day",
    "$is_day_of_month",
    "$is_month",
    "$is_year",
    "$is_days_ago_md",
    "$is_days_in_future_md",
    "$is_less_days_ago_md",
    "$is_less_days_in_future_md",
    "$is_more_days_ago_md",
    "$is_more_days_in_future_md",
    "$active",
    "$enabled",
    "$disabled",
    "$expired",
    "$failed",
    "$in_progress",
    "$redeemable",
    "$redeemed",
)
EXTRA_OPERATORS: tuple[str, ...] = (
    CALENDAR_OPERATORS + CALENDAR_MD_OPERATORS + YEARS_OPERATORS + PASSED_THROUGH_OPERATORS
)
# Operators the list endpoints' documentation names but the API's list does not: an export using one gets
# 400 invalid_payload, so they are refused offline, each with what to write instead.
UNKNOWN_OPERATORS: dict[str, str] = {
    "$includes": "$in",
    "$intersects": "$in",
    "$after_equal": "$after",
    "$before_equal": "$before",
}

EXPORT_STATUSES = ("SCHEDULED", "IN_PROGRESS", "DONE", "ERROR")
LIST_ORDERS = _both_ways("created_at", "status")


def lookup(name: str, *, where: str | None = None) -> ExportObject:
    """The export object of a subcommand name; a ValidationError naming the valid ones and a close match."""
    found = BY_COMMAND.get(name)
    if found is not None:
        return found
    from exportctl.errors import ValidationError
    from exportctl.suggest import closest

    message = f"{where}: unknown object '{name}'." if where else f"Unknown object '{name}'."
    # The API's names (voucher_transactions) are a likely slip for the subcommand's (voucher-transactions).
    suggestion = closest(name.replace("_", "-"), BY_COMMAND)
    raise ValidationError(message, valid=tuple(BY_COMMAND), suggestion=suggestion)


def get_object(command: str) -> ExportObject:
    """The export object for a subcommand name or an API `exported_object` name."""
    found = BY_COMMAND.get(command) or API_OBJECTS.get(command)
    if found is None:
        raise KeyError(command)
    return found


def accepted_fields(exported_object: str) -> tuple[Field, ...]:
    """Every field the API accepts for an `exported_object`: documented ones first, then API-only ones."""
    obj = API_OBJECTS[exported_object]
    return obj.fields + obj.api_only_fields
