"""What narrows an export: a scope option, or an API parameter the option table sends as given."""

from __future__ import annotations

import pytest

from exportctl.errors import UsageError, ValidationError
from exportctl.request.configfile import KeyLocator
from exportctl.request.model import RequestFlags
from exportctl.request.narrowing import body_parameters_of, scope_of
from exportctl.schema import get_object

VOUCHER, ORDER = get_object("voucher"), get_object("order")
LOYALTY = get_object("loyalty-card-transactions")
AT = KeyLocator("c.yaml", {("parameters", "campaign_id"): 3})


def test_campaign_id_from_the_flag_wins_over_the_file() -> None:
    file = {"campaign_id": "camp_file"}
    assert body_parameters_of(VOUCHER, RequestFlags(), file, AT) == (("campaign_id", "camp_file"),)
    flags = RequestFlags(campaign_id="camp_flag")
    assert body_parameters_of(VOUCHER, flags, file, AT) == (("campaign_id", "camp_flag"),)
    assert body_parameters_of(VOUCHER, RequestFlags(), {}, AT) == ()


def test_campaign_id_is_refused_where_the_api_has_none_and_when_empty() -> None:
    with pytest.raises(ValidationError, match=r"^c.yaml:3: parameters.campaign_id: order exports take no campaign_id"):
        body_parameters_of(ORDER, RequestFlags(), {"campaign_id": "camp_1"}, AT)
    with pytest.raises(UsageError, match=r"^--campaign: the campaign_id is empty.$"):
        body_parameters_of(VOUCHER, RequestFlags(campaign_id=""), {}, AT)
    with pytest.raises(UsageError, match="expected a string, got a list"):
        body_parameters_of(VOUCHER, RequestFlags(), {"campaign_id": ["a"]}, AT)


def test_scopes_and_their_pairs() -> None:
    at = KeyLocator(None, {})
    assert scope_of(LOYALTY, RequestFlags(member="LC-1"), {}, at) == (("member", "LC-1"), None)
    both = scope_of(LOYALTY, RequestFlags(member="LC-1", campaign="camp_1"), {}, at)
    assert both == (("member", "LC-1"), ("campaign", "camp_1"))
    with pytest.raises(ValidationError) as caught:
        scope_of(VOUCHER, RequestFlags(campaign="camp_1"), {}, at)
    assert caught.value.hint is not None and "campaign_id=" in caught.value.hint
    with pytest.raises(ValidationError) as plain:
        scope_of(ORDER, RequestFlags(voucher="V1"), {}, at)
    assert plain.value.hint is None
