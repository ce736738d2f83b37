from __future__ import annotations

from exportctl import schema
from exportctl.cli.completion_sources import (
    complete_comma_list,
    complete_object,
    fields_completer,
    filters_completer,
    orders_completer,
)


def test_field_completion_completes_the_last_item_of_a_comma_list() -> None:
    complete = fields_completer(schema.VOUCHER)
    assert complete("code,va") == [
        "code,value",
        "code,validity_timeframe_interval",
        "code,validity_timeframe_duration",
        "code,validity_day_of_week",
    ]


def test_field_completion_skips_fields_already_listed() -> None:
    assert "code,code" not in complete_comma_list(("code", "campaign"), "code,c")
    assert complete_comma_list(("code", "campaign"), "code,c") == ["code,campaign"]


def test_order_completion_offers_descending_variants() -> None:
    assert orders_completer(schema.VOUCHER)("-c") == ["-created_at", "-code"]


def test_filter_completion_offers_fields_then_enum_values() -> None:
    complete = filters_completer(schema.ORDER)
    assert "status" in complete("st")
    assert complete("status=PAID,F") == ["status=PAID,FULFILLED"]


def test_object_completion() -> None:
    assert complete_object("lo") == ["loyalty-card-transactions"]


def test_profile_completion_reads_the_profile_file(tmp_path, monkeypatch) -> None:
    from exportctl.cli.completion_sources import complete_profile

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "exportctl").mkdir()
    (tmp_path / "exportctl" / "config.yaml").write_text(
        "profiles:\n  production:\n    app_id: a\n  staging:\n    app_id: b\n"
    )
    assert complete_profile("st") == ["staging"]
    assert complete_profile("") == ["production", "staging"]


def test_field_completion_offers_prefixes_and_their_known_sub_fields() -> None:
    complete = fields_completer(schema.lookup("customer"))
    assert "address." in complete("addr") and "address_city" in complete("addr")
    assert complete("name,address.c") == ["name,address.city", "name,address.country"]
    assert complete("metadata.") == []  # metadata keys are the project's own: nothing to offer
