"""request/model.py: the request as a value: its API body, its endpoint, its fingerprint and the kinds it keeps.

The fingerprint names state-file entries and split manifests on disk, so its bytes must never change: a
golden value pins it. Scope values come from the command line or YAML and reach a URL path: every
character that could change the path is quoted.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from exportctl.errors import ValidationError
from exportctl.request.model import ExportRequest, RequestFlags, RunOptions
from exportctl.schema import BY_COMMAND

ORDER = BY_COMMAND["order"]
VOUCHER = BY_COMMAND["voucher"]
GIFT = BY_COMMAND["gift-card-transactions"]
LOYALTY = BY_COMMAND["loyalty-card-transactions"]


def test_export_request_refuses_a_scope_the_object_lacks() -> None:
    with pytest.raises(ValidationError, match="order exports cannot be scoped by voucher"):
        ExportRequest(ORDER, scope=("voucher", "V")).endpoint()


def test_the_body_has_only_what_was_given() -> None:
    assert ExportRequest(VOUCHER).body() == {"exported_object": "voucher"}
    assert ExportRequest(VOUCHER, filters={}).body() == {"exported_object": "voucher"}  # no empty filters sent
    full = ExportRequest(
        ORDER, fields=("id", "status"), order="-created_at", filters={"status": {"conditions": {"$is": ["PAID"]}}}
    )
    assert full.body() == {
        "exported_object": "order",
        "parameters": {
            "fields": ["id", "status"],
            "order": "-created_at",
            "filters": {"status": {"conditions": {"$is": ["PAID"]}}},
        },
    }
    assert ExportRequest(VOUCHER, fields=()).body() == {"exported_object": "voucher", "parameters": {"fields": []}}


def test_a_scoped_request_names_the_object_by_its_path_and_sends_parameters_only() -> None:
    scoped = ExportRequest(GIFT, fields=("id", "type"), scope=("voucher", "GIFT-1"))
    assert scoped.endpoint() == "/v1/vouchers/GIFT-1/transactions/export"
    assert scoped.body() == {"parameters": {"fields": ["id", "type"]}}
    assert ExportRequest(GIFT, scope=("campaign", "c")).body() == {}


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        ("../campaigns/camp_1", "..%2Fcampaigns%2Fcamp_1"),
        ("a b?c#d", "a%20b%3Fc%23d"),
        ("\x1b[2J", "%1B%5B2J"),
        ("%2F", "%252F"),
        ("ü", "%C3%BC"),
    ],
)
def test_scope_values_are_quoted_into_one_path_segment(value: str, segment: str) -> None:
    assert ExportRequest(GIFT, scope=("voucher", value)).endpoint() == f"/v1/vouchers/{segment}/transactions/export"


@pytest.mark.parametrize("value", [".", ".."])
def test_a_dot_segment_scope_value_cannot_climb_out_of_its_segment(value: str) -> None:
    import requests

    # Quoting as %2E would not do: requests unquotes it back to a dot, and a dot segment is removed on the way.
    assert "/../" in str(requests.Request("POST", "https://api.voucherify.io/v1/a/%2E%2E/b").prepare().url)
    for scope, along in ((("member", value), ("campaign", "camp_1")), (("member", "LC-1"), ("campaign", value))):
        with pytest.raises(ValidationError) as caught:
            ExportRequest(LOYALTY, scope=scope, along=along).endpoint()
        named = scope[0] if scope[1] == value else along[0]
        assert caught.value.message == f"--{named}: {value!r} is not a code or ID: it would be read as a path step."


def test_the_fingerprint_is_the_sha256_of_sorted_json_and_never_changes() -> None:
    request = ExportRequest(ORDER, fields=("id",), filters={"status": {"conditions": {"$is": ["PAID"]}}})
    text = json.dumps({"endpoint": "/v1/exports", "body": request.body(), "window": "w1"}, sort_keys=True)
    assert request.fingerprint(window="w1") == hashlib.sha256(text.encode()).hexdigest()
    # The value stored in state files and manifests today: a change would orphan every one of them.
    assert ExportRequest(VOUCHER).fingerprint() == "333701d537c296691a459aa6b48339b68a027b3f61cd503e526b1ba762a0e941"
    assert len({request.fingerprint(), request.fingerprint(window="w1"), ExportRequest(ORDER).fingerprint()}) == 3


def test_a_kinds_command_keeps_its_kind_by_the_type_column_unless_the_endpoint_gives_only_it() -> None:
    assert ExportRequest(VOUCHER).kept_types() is None
    assert ExportRequest(GIFT).kept_types() == (
        "CREDITS_REMOVAL",
        "CREDITS_ADDITION",
        "CREDITS_REFUND",
        "CREDITS_REDEMPTION",
    )
    assert ExportRequest(GIFT, scope=("voucher", "V")).kept_types() is not None  # a card's transactions of any kind
    assert ExportRequest(LOYALTY, scope=("member", "LC-1")).kept_types() is None  # loyalty transactions only


def test_a_kinds_command_without_the_type_field_is_refused_with_what_to_add() -> None:
    ExportRequest(GIFT).require_type_field()  # no fields: the API's defaults include type
    ExportRequest(GIFT, fields=("id", "type")).require_type_field()
    ExportRequest(LOYALTY, fields=("id",), scope=("member", "LC-1")).require_type_field()
    with pytest.raises(ValidationError) as gift:
        ExportRequest(GIFT, fields=("id", "amount")).require_type_field()
    assert gift.value.message.startswith("gift-card-transactions needs the type field: POST /v1/exports exports")
    assert gift.value.hint == "Add type to the fields; voucher-transactions exports every kind."
    with pytest.raises(ValidationError) as loyalty:
        ExportRequest(LOYALTY, fields=("id",)).require_type_field()
    assert loyalty.value.hint is not None
    assert "or narrow it with --campaign or --member or --member with --campaign" in loyalty.value.hint


def test_defaults_mean_not_given() -> None:
    assert RunOptions() == RunOptions(format="csv", unparsed="keep", wait=True, force=False, parallel=1)
    flags = RequestFlags()
    assert flags.given() == {}
