"""The filters the reference lists, the month-and-day calendar operators and FilterConditionsDateTime dates,
as the sandbox applies them (and, where the CLI is concerned, as the commands send them)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli, isolated  # noqa: F401  (the fixture: no machine credentials, a clean cwd)

from .http_api import Api
from .test_sandbox_filters import cond, expect, meta, table


@pytest.fixture
def cli(sandbox: Sandbox) -> Cli:
    return Cli(sandbox)


def test_voucher_created_date_and_redemption_status(api: Api, sandbox: Sandbox) -> None:
    vouchers = table(sandbox, "vouchers")
    middle = sorted(v["created_at"] for v in vouchers)[len(vouchers) // 2]
    assert api.ids("voucher", {"created_date": cond(after=[middle])}) == expect(
        vouchers, lambda v: v["created_at"] > middle
    )
    assert {v["redemption_status"] for v in vouchers} >= {"NOT_REDEEMED", "PARTIALLY_REDEEMED"}
    assert api.ids("voucher", {"redemption_status": cond(is_=["NOT_REDEEMED"])}) == expect(
        vouchers, lambda v: v["redemption_count"] == 0
    )


def test_redemption_campaign_customer_voucher_related_object_and_status(api: Api, sandbox: Sandbox) -> None:
    redemptions = table(sandbox, "redemptions")
    some = next(r for r in redemptions if r["campaign"])
    assert api.ids("redemption", {"campaign": cond(is_=[some["campaign"]])}) == expect(
        redemptions, lambda r: r["campaign"] == some["campaign"]
    )
    assert api.ids("redemption", {"customer": cond(in_=[some["customer_id"]])}) == expect(
        redemptions, lambda r: r["customer_id"] == some["customer_id"]
    )
    assert api.ids("redemption", {"voucher": cond(is_=some["voucher_code"])}) == expect(
        redemptions, lambda r: r["voucher_code"] == some["voucher_code"]
    )
    assert api.ids("redemption", {"related_object": cond(in_=["voucher"])}) == expect(
        redemptions, lambda r: r["related_object"] == "voucher"
    )
    failed = api.ids("redemption", {"status": cond(is_=["FAILED"])})
    assert failed and failed == expect(redemptions, lambda r: r["result"] == "FAILURE")


def test_publication_campaign_customer_and_voucher(api: Api, sandbox: Sandbox) -> None:
    publications = table(sandbox, "publications")
    some = next(p for p in publications if p["campaign"])
    for name, column in (("campaign", "campaign"), ("customer", "customer_id"), ("voucher", "voucher_code")):
        wanted = some[column]
        matching = sorted(str(p["voucher_code"]) for p in publications if p[column] == wanted)
        assert api.ids("publication", {name: cond(is_=[wanted])}, "voucher_code") == matching, name


def test_customer_city_and_latest_publication(api: Api, sandbox: Sandbox) -> None:
    customers = table(sandbox, "customers")
    city = customers[0]["address_city"]
    assert api.ids("customer", {"city": cond(is_=[city])}) == expect(customers, lambda c: c["address_city"] == city)
    published = [c for c in customers if c["publications"]]
    assert published
    since = sorted(meta(c, "publications", "created_at") for c in published)[len(published) // 2]
    assert api.ids("customer", {"publications.created_at": cond(after=[since])}) == expect(
        customers, lambda c: bool(c["publications"]) and meta(c, "publications", "created_at") > since
    )
    voucher_id = meta(published[0], "publications", "related_object_id")
    assert api.ids("customer", {"publications.related_object_id": cond(is_=[voucher_id])}) == [published[0]["id"]]


def _month_day(text: str) -> str:
    return text[5:10]


def test_calendar_operators_by_month_and_day(api: Api, sandbox: Sandbox) -> None:
    customers = [c for c in table(sandbox, "customers") if c["birthday"]]
    # Month-days from the customers themselves, so that each period finds someone; the sandbox reads "today"
    # from its clock, so the expected set is computed the same way, never from a fixed date.
    today = datetime.now(timezone.utc).date()
    month = f"{today.month:02d}"
    assert api.ids("customer", {"birthday": cond(this_month_md=True)}) == expect(
        customers, lambda c: c["birthday"][5:7] == month
    )
    monday = today - timedelta(days=today.weekday())
    week = {(monday + timedelta(days=k)).isoformat()[5:] for k in range(7)}
    assert api.ids("customer", {"birthdate": cond(this_week_md=[""])}) == expect(
        customers, lambda c: _month_day(c["birthdate"]) in week
    )
    tomorrow = (today + timedelta(days=1)).isoformat()[5:]
    assert api.ids("customer", {"birthday": cond(tomorrow_md=True)}) == expect(
        customers, lambda c: _month_day(c["birthday"]) == tomorrow
    )
    previous = (today.replace(day=1) - timedelta(days=1)).strftime("%m")
    on_dates = api.ids("customer", {"created_at": cond(last_month_md=True)})
    assert on_dates == expect(table(sandbox, "customers"), lambda c: c["created_at"][5:7] == previous)


def test_campaign_transaction_dates_in_days_ago(api: Api, sandbox: Sandbox) -> None:
    """The campaign endpoint's created_at takes $more_than/$less_than as whole days ago, each value alone."""
    transactions = table(sandbox, "voucher_transactions")
    campaign = next(t["campaign_id"] for t in transactions if t["campaign_id"])
    ours = [t for t in transactions if t["campaign_id"] == campaign]
    days = (datetime.now(timezone.utc) - min(datetime.fromisoformat(t["created_at"][:19]).replace(
        tzinfo=timezone.utc) for t in ours)).days // 2  # fmt: skip
    cutoff = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat()[:19]
    for operator, keep in (("$less_than", lambda t: t["created_at"][:19] >= cutoff),
                           ("$more_than", lambda t: t["created_at"][:19] < cutoff)):  # fmt: skip
        created = api.post(
            f"/v1/campaigns/{campaign}/transactions/export",
            {"parameters": {"fields": ["id"], "filters": {"created_at": {"conditions": {operator: days}}}}},
        )
        assert created.status_code == 200, created.text
        got = sorted(row[0] for row in api.cells(api.wait(created.json()["id"])))
        assert got == expect(ours, keep), operator


def test_the_cli_sends_days_ago_on_a_loyalty_campaign_and_the_sandbox_applies_them(cli: Cli, sandbox: Sandbox) -> None:
    campaign = str(
        sandbox.store.rows("SELECT id FROM campaigns WHERE voucher_type = 'LOYALTY_CARD' ORDER BY rowid LIMIT 1")[0][0]
    )
    dry = cli(
        "loyalty-card-transactions", "--campaign", campaign, "--filter", "created_at>-200d", "--dry-run", "--json",
        credentials=False,
    )  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert '"$less_than": 200' in dry.stdout.replace("\n", " ") or '"$less_than":200' in dry.stdout
    result = cli(
        "loyalty-card-transactions", "--campaign", campaign, "--filter", "created_at>-200d",
        "--fields", "id,created_at", "-o", "t.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    cutoff = (datetime.now(timezone.utc) - timedelta(days=200)).isoformat()[:19]
    expected = sorted(
        str(row[0])
        for row in sandbox.store.rows(
            "SELECT id, created_at FROM voucher_transactions WHERE campaign_id = ?", (campaign,)
        )
        if str(row[1])[:19] >= cutoff
    )
    lines = Path("t.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert sorted(line.split(",")[0] for line in lines) == expected


@pytest.mark.parametrize(
    ("expression", "suggestion"),
    [
        ("created_at:$after_equal:2026-01-01", "$after"),
        ("created_at:before_equal:2026-01-01", "$before"),
        ("metadata.tags:$includes:a", "$in"),
        ("metadata.tags:$intersects:a,b", "$in"),
    ],
)
def test_the_four_unknown_operators_are_refused_offline(cli: Cli, expression: str, suggestion: str) -> None:
    result = cli("order", "--filter", expression, "-o", "-", credentials=False)
    assert result.exit_code == 2, result.output
    assert f"Did you mean '{suggestion}'?" in result.output and "400 invalid_payload" in result.output


def test_customer_updated_at_is_not_is_warned_and_still_sent(cli: Cli) -> None:
    result = cli("customer", "--filter", "updated_at!=2026-01-01T00:00:00Z", "--dry-run", credentials=False)
    assert result.exit_code == 0, result.output
    assert "the API ignores $is_not on customer 'updated_at'" in result.stderr
    assert '"$is_not"' in result.stdout
    quiet = cli("customer", "--filter", "updated_at>2026-01-01", "--dry-run", credentials=False)
    assert "ignores" not in quiet.stderr


def test_a_time_window_on_a_campaign_transactions_export_sends_each_value_alone(cli: Cli, sandbox: Sandbox) -> None:
    from tests.request.request_schema import RESOURCES, errors

    campaign = str(
        sandbox.store.rows("SELECT id FROM campaigns WHERE voucher_type = 'GIFT_VOUCHER' ORDER BY rowid LIMIT 1")[0][0]
    )
    created = sorted(
        str(row[0])
        for row in sandbox.store.rows("SELECT created_at FROM voucher_transactions WHERE campaign_id = ?", (campaign,))
    )
    since = created[len(created) // 2][:10]
    args = ("voucher-transactions", "--campaign", campaign, "--since", since)
    dry = cli(*args, "--dry-run", "--json", credentials=False)
    assert dry.exit_code == 0, dry.output
    (request,) = json.loads(dry.stdout)["requests"]
    assert request["body"]["parameters"]["filters"]["created_at"]["conditions"]["$after"] == (
        f"{(datetime.fromisoformat(since) - timedelta(milliseconds=1)).isoformat()[:23]}Z"
    )
    body_schema = RESOURCES["components"]["schemas"]["CampaignsTransactionsExportCreateRequestBody"]
    assert errors(request["body"], body_schema, RESOURCES) == []  # $after is a string there, not a list
    result = cli(*args, "--fields", "id", "-o", "w.csv")
    assert result.exit_code == 0, result.output
    got = sorted(Path("w.csv").read_text(encoding="utf-8").splitlines()[1:])
    expected = sorted(
        str(row[0])
        for row in sandbox.store.rows(
            "SELECT id FROM voucher_transactions WHERE campaign_id = ? AND created_at >= ?", (campaign, since)
        )
    )
    assert got == expected and got
