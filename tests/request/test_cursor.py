"""--cursor and --lookback of an incremental export, offline: which objects can follow updated_at, the one
message for every bad lookback, the YAML shape, the window a plan asks for, and the state key of each cursor."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import exportctl
from exportctl.errors import UsageError, ValidationError
from exportctl.request.build import build_request
from exportctl.request.configfile import load_config
from exportctl.request.cursor import cursor_objects, effective_lookback
from exportctl.request.model import RequestFlags
from exportctl.schema import get_object

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)  # given to the plan: nothing reads the wall clock
DOCUMENTED = ("order", "voucher", "redemption", "customer")


def test_the_objects_that_document_an_updated_at_filter_follow_it_and_only_they() -> None:
    assert sorted(cursor_objects("updated_at")) == sorted(DOCUMENTED)


@pytest.mark.parametrize("command", ["publication", "product", "voucher-transactions", "points-expiration"])
def test_an_object_without_a_documented_updated_at_is_refused_naming_those_that_have_one(command: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build_request(get_object(command), RequestFlags(since_last="s.json", cursor="updated_at"))
    text = caught.value.render() if hasattr(caught.value, "render") else str(caught.value)
    assert f"{command} exports have no documented updated_at filter" in caught.value.message
    assert set(caught.value.valid) == set(DOCUMENTED), text


@pytest.mark.parametrize(
    "value",
    ["-10m", "-1", "abc", "10 minutes", "1e400", "nan", "inf", "99999d", "8d", "10m\x1b[31m", "", "1h1h"],
)
def test_a_hostile_lookback_gets_one_clear_message(value: str) -> None:
    with pytest.raises(UsageError) as caught:
        build_request(get_object("voucher"), RequestFlags(since_last="s.json", cursor="updated_at", lookback=value))
    message = caught.value.message
    assert message.startswith("--lookback: expected a duration from 0 to 7d")
    assert "\x1b" not in message


@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), dt.timedelta(days=-1), dt.timedelta(days=30)])
def test_the_library_refuses_the_same_lookbacks(value: object) -> None:
    with pytest.raises(UsageError) as caught:
        exportctl.plan("voucher", since_last="s.json", cursor="updated_at", lookback=value, now=NOW)  # type: ignore[arg-type]
    assert caught.value.message.startswith("--lookback: expected a duration from 0 to 7d")


def test_a_garbage_cursor_is_refused_naming_both() -> None:
    with pytest.raises(ValidationError) as caught:
        build_request(get_object("voucher"), RequestFlags(since_last="s.json", cursor="updatedat"))
    assert caught.value.message == (
        "--cursor: 'updatedat' is not a cursor. Did you mean 'updated_at'? Valid values: created_at, updated_at."
    )


@pytest.mark.parametrize("flags", [{"cursor": "updated_at"}, {"lookback": "10m"}])
def test_cursor_and_lookback_need_since_last(flags: dict[str, str]) -> None:
    with pytest.raises(UsageError) as caught:
        build_request(get_object("voucher"), RequestFlags(**flags))
    assert "give the state file with --since-last STATE" in caught.value.message


def test_a_yaml_file_gives_them_inside_incremental(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("incremental:\n  state: s.json\n  cursor: updated_at\n  lookback: 15m\n", encoding="utf-8")
    _, options = build_request(get_object("voucher"), RequestFlags(), load_config(path))
    assert (options.incremental, options.cursor, options.lookback) == ("s.json", "updated_at", 900.0)
    path.write_text("incremental:\n  state: s.json\n  lookback: -5m\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        build_request(get_object("voucher"), RequestFlags(), load_config(path))
    assert caught.value.message.startswith(f"{path}:3: incremental.lookback: expected a duration")


def test_default_lookbacks() -> None:
    assert effective_lookback("created_at", None) == 0.0
    assert effective_lookback("updated_at", None) == 600.0
    assert effective_lookback("updated_at", 0.0) == 0.0


def _window(tmp_path: Path, **options: object) -> Any:
    planned = exportctl.plan("voucher", since_last=str(tmp_path / "s.json"), now=NOW, **options)  # type: ignore[arg-type]
    return planned.requests[0][1]["parameters"]["filters"]


def test_the_window_goes_on_updated_at_from_the_watermark_less_the_lookback(tmp_path: Path) -> None:
    first = _window(tmp_path, cursor="updated_at")
    assert first == {"junction": "and", "updated_at": {"conditions": {"$before": ["2026-03-01T12:00:00.000Z"]}}}
    planned = exportctl.plan("voucher", since_last=str(tmp_path / "s.json"), cursor="updated_at", now=NOW)
    from exportctl.jobs.watermarks import run_key

    key = run_key(planned.plan.request, planned.options)
    assert key.endswith("@updated_at")
    entry = {"watermark": "2026-03-01T00:00:00.000Z", "cursor": "updated_at"}
    (tmp_path / "s.json").write_text(json.dumps({"version": 1, "exports": {key: entry}}), encoding="utf-8")
    later = _window(tmp_path, cursor="updated_at", lookback="15m")
    assert later["updated_at"] == {
        "conditions": {"$after": ["2026-02-28T23:44:59.999Z"], "$before": ["2026-03-01T12:00:00.000Z"]}
    }
    # The created_at run of the same export has no watermark in this file: its window has no start.
    assert _window(tmp_path) == {
        "junction": "and",
        "created_at": {"conditions": {"$before": ["2026-03-01T12:00:00.000Z"]}},
    }


def test_a_created_at_entry_is_never_read_by_an_updated_at_run(tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    entry = {"watermark": "2026-03-01T00:00:00.000Z"}  # as every run before --cursor wrote it
    state.write_text(json.dumps({"version": 1, "exports": {"nightly": entry}}), encoding="utf-8")
    created = exportctl.plan("voucher", since_last=str(state), state_key="nightly", now=NOW)
    assert created.windows[0] == {"since": "2026-03-01T00:00:00.000Z", "until": "2026-03-01T12:00:00.000Z"}
    updated = exportctl.plan("voucher", since_last=str(state), state_key="nightly", cursor="updated_at", now=NOW)
    assert updated.windows[0] == {"since": None, "until": "2026-03-01T12:00:00.000Z"}  # its own key: a first run
    # An entry under the updated_at key that a created_at run wrote (a hand-edited file) is refused, not misread.
    state.write_text(json.dumps({"version": 1, "exports": {"nightly@updated_at": entry}}), encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        exportctl.plan("voucher", since_last=str(state), state_key="nightly", cursor="updated_at", now=NOW)
    assert "follows created_at, not updated_at" in caught.value.message
