from pathlib import Path
from typing import Any

import pytest

from exportctl.errors import ConfigError, UsageError, ValidationError
from exportctl.request.build import build_request
from exportctl.request.configfile import load_config
from exportctl.request.model import RequestFlags, RunOptions
from exportctl.request.option_keys import config_keys
from exportctl.schema import EXPORT_OBJECTS, get_object

ORDER = get_object("order")
GIFT = get_object("gift-card-transactions")
POINTS = get_object("points-expiration")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "export.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_parameters_gives_the_bare_body_and_default_options() -> None:
    request, options = build_request(ORDER, RequestFlags())
    assert request.body() == {"exported_object": "order"}
    assert request.endpoint() == "/v1/exports"
    assert options == RunOptions(output=None, output_dir=None, force=False, wait=True, timeout=None)


def test_flags_build_the_full_body() -> None:
    flags = RequestFlags(
        fields=["id,status", "amount"],
        order="-created_at",
        filters=["status=PAID,FULFILLED", "amount>=1000"],
        junction="or",
        output="-",
        force=True,
        wait=False,
        timeout="15m",
    )
    request, options = build_request(ORDER, flags)
    assert request.body() == {
        "exported_object": "order",
        "parameters": {
            "fields": ["id", "status", "amount"],
            "order": "-created_at",
            "filters": {
                "junction": "or",
                "status": {"conditions": {"$in": ["PAID", "FULFILLED"]}},
                "amount": {"conditions": {"$more_than_equal": [1000]}},
            },
        },
    }
    assert options == RunOptions(output="-", force=True, wait=False, timeout=900.0)


def test_a_scope_uses_the_per_resource_endpoint_and_sends_parameters_only() -> None:
    request, _ = build_request(GIFT, RequestFlags(voucher="GIFT/1 2", fields=["id", "type"]))
    assert request.endpoint() == "/v1/vouchers/GIFT%2F1%202/transactions/export"
    assert request.body() == {"parameters": {"fields": ["id", "type"]}}
    request, _ = build_request(POINTS, RequestFlags(campaign="camp_x"))
    assert request.endpoint() == "/v1/loyalties/camp_x/points-expiration/export"
    assert request.body() == {}


def test_yaml_mirrors_the_api_body_plus_cli_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
exported_object: order
parameters:
  fields: [id, status, metadata.region]
  order: -created_at
  filters:
    junction: or
    status: {conditions: {$in: [PAID]}}
    created_at:
      conditions:
        $after: [2024-01-01]
output: orders-{date}.csv
output_dir: out
timeout: 90
wait: false
force: true
headers: fields
""",
    )
    request, options = build_request(ORDER, RequestFlags(), load_config(path))
    assert request.body() == {
        "exported_object": "order",
        "parameters": {
            "fields": ["id", "status", "metadata.region"],
            "order": "-created_at",
            "filters": {
                "junction": "or",
                "status": {"conditions": {"$in": ["PAID"]}},
                "created_at": {"conditions": {"$after": ["2024-01-01T00:00:00.000Z"]}},
            },
        },
    }
    assert options == RunOptions(
        output="orders-{date}.csv", output_dir="out", force=True, wait=False, timeout=90.0, headers="fields"
    )


def test_yaml_filters_may_be_a_list_of_expressions_with_a_top_level_junction(tmp_path: Path) -> None:
    path = write(tmp_path, "parameters:\n  filters: ['status=PAID', 'amount>5']\n  fields: id, status\njunction: or\n")
    request, _ = build_request(ORDER, RequestFlags(), load_config(path))
    assert request.filters == {
        "junction": "or",
        "status": {"conditions": {"$is": ["PAID"]}},
        "amount": {"conditions": {"$more_than": [5]}},
    }
    assert request.fields == ("id", "status")


def test_flags_override_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "parameters:\n  fields: [id]\n  order: created_at\n  filters: ['status=PAID', 'amount>5']\n"
        "junction: or\noutput: a.csv\nwait: false\ntimeout: 1h\n",
    )
    flags = RequestFlags(
        fields=["status"], order="-status", filters=["amount>9", "amount<20"], junction="and", output="b.csv", wait=True
    )
    request, options = build_request(ORDER, flags, load_config(path))
    assert request.fields == ("status",)
    assert request.order == "-status"
    assert request.filters == {
        "junction": "and",
        "status": {"conditions": {"$is": ["PAID"]}},
        "amount": {"conditions": {"$more_than": [9], "$less_than": [20]}},
    }
    assert (options.output, options.wait, options.timeout) == ("b.csv", True, 3600.0)


def test_unknown_field_names_valid_fields_and_suggests() -> None:
    with pytest.raises(ValidationError) as caught:
        build_request(ORDER, RequestFlags(fields=["id,amout"]))
    message = str(caught.value)
    assert message.startswith("--fields: unknown field 'amout' for order. Did you mean 'amount'? Valid values: id,")
    assert message.endswith("metadata, metadata.X.")


def test_prefix_fields_follow_the_object() -> None:
    request, _ = build_request(get_object("customer"), RequestFlags(fields=["address.city,metadata.x"]))
    assert request.fields == ("address.city", "metadata.x")
    with pytest.raises(ValidationError, match=r"unknown field 'metadata\.x' for gift-card-transactions"):
        build_request(GIFT, RequestFlags(fields=["metadata.x"]))


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (RequestFlags(fields=["id,id"]), "--fields: field 'id' is given twice."),
        (
            RequestFlags(fields=[","]),
            "--fields: no fields given; leave fields out for the defaults (id, source_id, status).",
        ),
        (RequestFlags(order="-created"), "--order: unknown order '-created' for order. Did you mean '-created_at'?"),
        (RequestFlags(junction="xor"), "--junction: 'xor' is not a junction."),
        (RequestFlags(timeout="soon"), "--timeout: Invalid duration 'soon'"),
        (RequestFlags(voucher="V1"), "--voucher: order exports cannot be narrowed to one voucher."),
        (RequestFlags(filters=["stauts=PAID"]), "Filter 'stauts=PAID': unknown filter field 'stauts' for order."),
        (RequestFlags(headers="titles"), "--headers: 'titles' is not a header style."),
    ],
)
def test_flag_errors(flags: RequestFlags, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        build_request(ORDER, flags)
    assert str(caught.value).startswith(message)


def test_one_scope_at_a_time() -> None:
    with pytest.raises(UsageError, match="give one of --voucher and --campaign, not both"):
        build_request(GIFT, RequestFlags(voucher="V", campaign="C"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("outptu: x.csv\n", "export.yaml:1: outptu: unknown key 'outptu'. Did you mean 'output'?"),
        ("fields: [id]\n", "export.yaml:1: fields: unknown key 'fields'. It belongs under 'parameters'."),
        ("parameters:\n  output: x\n", "export.yaml:2: parameters.output: unknown key 'output'. It is a top-level key"),
        (
            "parameters:\n  feilds: [id]\n",
            "export.yaml:2: parameters.feilds: unknown key 'feilds'. Did you mean 'fields'?",
        ),
        (
            "parameters:\n  fields:\n    - id\n    - amout\n",
            "export.yaml:4: parameters.fields[1]: unknown field 'amout' for order. Did you mean 'amount'?",
        ),
        ("parameters:\n  order: newest\n", "export.yaml:2: parameters.order: unknown order 'newest' for order."),
        (
            "parameters:\n  filters:\n    - status=PAID\n    - amount>12.50\n",
            "export.yaml:4: parameters.filters[1]: Filter 'amount>12.50': '12.50' is not an amount",
        ),
        (
            "parameters:\n  filters:\n    amount:\n      conditions:\n        $after: [1]\n",
            "export.yaml:5: parameters.filters.amount.conditions.$after: operator $after does not apply",
        ),
        (
            "parameters:\n  filters: {junction: and, status: {conditions: {$is: [PAID]}}}\njunction: or\n",
            "export.yaml:2: parameters.filters: junction 'and' contradicts the top-level junction 'or'",
        ),
        ("exported_object: voucher\n", "export.yaml:1: exported_object: 'voucher' does not match the order command"),
        ("wait: maybe\n", "export.yaml:1: wait: expected true or false, got str 'maybe'."),
        ("timeout: soon\n", "export.yaml:1: timeout: Invalid duration 'soon'"),
        (
            "parameters: [fields]\n",
            "export.yaml:1: parameters: expected a mapping with fields, order, filters, campaign_id.",
        ),
        ("parameters:\n  filters: 3\n", "export.yaml:2: parameters.filters: expected the API's filters object"),
        ("voucher: V1\n", "export.yaml:1: voucher: order exports cannot be narrowed to one voucher."),
    ],
)
def test_config_errors_name_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        build_request(ORDER, RequestFlags(), load_config(path))
    assert str(caught.value).startswith(str(tmp_path / message))


def test_card_kinds_take_voucher_transactions_as_their_exported_object(tmp_path: Path) -> None:
    path = write(tmp_path, "exported_object: voucher_transactions\ncampaign: 12345\n")
    request, _ = build_request(GIFT, RequestFlags(), load_config(path))
    assert request.endpoint() == "/v1/campaigns/12345/transactions/export"
    with pytest.raises(ValidationError, match="which exports voucher_transactions"):
        build_request(GIFT, RequestFlags(), {"exported_object": "gift-card-transactions"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1, 2\nb: 3\n", "export.yaml:2:2: YAML syntax error: expected ',' or ']', but got ':'."),
        ("a: 1\na: 2\n", "export.yaml:2:1: key 'a' is given twice (first on line 1)."),
        ("- a\n- b\n", "export.yaml:1: expected a mapping of keys (exported_object, parameters,"),
        ("", "export.yaml: expected a mapping of keys"),
        ("a: 2024-13-45\n", "export.yaml: YAML error:"),
        ("a: 1\nb: x\x1f\n", "export.yaml:2:5: YAML syntax error: special characters are not allowed ('\\x1f')."),
        (
            "a: 1\n---\nb: 2\n",
            "export.yaml:2:1: YAML syntax error: expected a single document in the stream",
        ),
    ],
)
def test_yaml_problems_are_config_errors_with_a_position(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(str(tmp_path / message))


def test_unreadable_config_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="cannot read it"):
        load_config(tmp_path)
    (tmp_path / "latin1.yaml").write_bytes(b"a: \xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(tmp_path / "latin1.yaml")


def test_a_plain_mapping_works_without_line_numbers() -> None:
    with pytest.raises(ValidationError, match=r"^parameters\.order: unknown order 'x'"):
        build_request(ORDER, RequestFlags(), {"parameters": {"order": "x"}})


def test_config_path_names_a_plain_mapping() -> None:
    with pytest.raises(ValidationError, match=r"^cron\.yaml: outptu: unknown key"):
        build_request(ORDER, RequestFlags(), {"outptu": 1}, config_path="cron.yaml")


def test_every_config_key_is_accepted() -> None:
    values: dict[str, Any] = {
        "exported_object": "voucher_transactions",
        "parameters": {},
        "junction": "and",
        "voucher": "V",
    }
    values |= {"output": "o", "output_dir": "d", "force": True, "wait": True, "timeout": "1s", "headers": "api"}
    values |= {"incremental": "state.json", "since": "2024-01-01", "until": "2024-03-01T00:00:00+01:00"}
    values |= {"split": {"by": "month"}, "parallel": 2}
    values |= {"format": "csv", "into": "sqlite:w.db#gifts", "unparsed": "fail"}
    values.pop("until")  # incremental runs end at their start; until is checked with split below
    assert set(values) | {"campaign", "member", "until"} == set(config_keys())
    request, options = build_request(GIFT, RequestFlags(), values)
    assert request.scope == ("voucher", "V")
    assert options.incremental == "state.json"
    assert (options.split_by, options.parallel) == ("month", 2)
    assert (options.format, str(options.into), options.unparsed) == ("csv", "sqlite:w.db#gifts", "fail")
    assert options.since is not None and options.since.isoformat() == "2024-01-01T00:00:00+00:00"
    _, ranged = build_request(GIFT, RequestFlags(), {"split": "week", "since": "2024-01-01", "until": "2024-03-01"})
    assert ranged.until is not None and ranged.until.isoformat() == "2024-03-01T00:00:00+00:00"


def test_default_fields_validate_for_every_object() -> None:
    # The documented defaults name fields that the tables may lack (publication's `code`,
    # the transactions' `status`); only the ones the table has can be asked for explicitly.
    for obj in EXPORT_OBJECTS:
        names = [name for name in obj.default_fields if obj.get_field(name) is not None]
        request, _ = build_request(obj, RequestFlags(fields=[",".join(names)]))
        assert request.fields == tuple(names)


def test_member_with_campaign_uses_the_loyalty_campaigns_member_endpoint() -> None:
    loyalty = get_object("loyalty-card-transactions")
    request, _ = build_request(loyalty, RequestFlags(member="LC 1"))
    assert request.endpoint() == "/v1/loyalties/members/LC%201/transactions/export"
    request, _ = build_request(loyalty, RequestFlags(member="LC-1", campaign="camp_1"))
    assert request.endpoint() == "/v1/loyalties/camp_1/members/LC-1/transactions/export"
    request, _ = build_request(loyalty, RequestFlags(), {"member": "LC-1", "campaign": "camp_1"})
    assert request.endpoint() == "/v1/loyalties/camp_1/members/LC-1/transactions/export"
    with pytest.raises(UsageError, match=r"give one of --voucher and --member, not both.*--campaign with --member"):
        build_request(loyalty, RequestFlags(member="LC-1", voucher="V"))
