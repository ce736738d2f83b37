"""The library door: the README's "From Python" snippet, run as written against the sandbox, and its errors."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import exportctl
from exportctl.sandbox import Sandbox
from exportctl.schema import BY_COMMAND
from tests.conftest import TEST_POLL_INTERVAL, start_sandbox

README = Path(__file__).resolve().parent.parent / "README.md"


def _from_python_snippet() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## From Python\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None, "README's 'From Python' section has no python block"
    return found.group(1)


@pytest.fixture(scope="module")
def pinned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox whose two years of data end on 2026-11-01, so that the README's dates find records on any day."""
    root = tmp_path_factory.mktemp("pinned")
    with start_sandbox(as_of=date(2026, 11, 1), db_path=root / "db.sqlite3", data_dir=root / "exports") as running:
        yield running


@pytest.fixture
def environment(pinned: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Credentials in the environment, as the snippet expects; an empty working directory."""
    sandbox = pinned
    monkeypatch.setenv("VOUCHERIFY_APP_ID", sandbox.app_id)
    monkeypatch.setenv("VOUCHERIFY_APP_TOKEN", sandbox.secret_key)
    monkeypatch.setenv("VOUCHERIFY_API_BASE_URL", sandbox.base_url)
    monkeypatch.delenv("VOUCHERIFY_SECRET_KEY", raising=False)
    monkeypatch.delenv("EXPORTCTL_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_readme_snippet_exports_a_monthly_split_and_its_task_replaces_the_loop(environment: Path) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(_from_python_snippet(), "README.md:From Python", "exec"), namespace)

    result = namespace["result"]
    saved = environment / "vouchers.csv"
    assert result.output == saved or Path(result.output).resolve() == saved.resolve()
    assert len(result.export_ids) == 3  # January, February, March
    rows = _rows(saved)
    assert rows and result.rows == len(rows)
    assert result.bytes == saved.stat().st_size
    assert result.sha256 == hashlib.sha256(saved.read_bytes()).hexdigest()
    voucher = BY_COMMAND["voucher"]
    created = voucher.title_of("created_at")  # the API's CSV titles, from the schema table
    assert list(rows[0]) == [voucher.title_of("code"), voucher.title_of("value"), created]
    assert all("2026-01-01" <= row[created][:10] < "2026-04-01" for row in rows)

    # The same range in one export holds the same records as the three windows joined.
    single = exportctl.export(
        "voucher",
        fields=["code", "value", "created_at"],
        filters=["type=GIFT_VOUCHER"],
        since=datetime(2026, 1, 1, tzinfo=timezone.utc),
        until=datetime(2026, 4, 1, tzinfo=timezone.utc),
        output="single.csv",
    )
    assert len(single.export_ids) == 1
    assert sorted(map(tuple, (r.values() for r in _rows(environment / "single.csv")))) == sorted(
        map(tuple, (r.values() for r in rows))
    )

    planned = namespace["planned"]
    assert len(planned.requests) == 2  # January and February, offline

    start, end = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 7, 1, tzinfo=timezone.utc)
    task = namespace["export_paid_orders"](data_interval_start=start, data_interval_end=end, ds="2026-01-01")
    day_file = environment / "orders-2026-01-01.csv"
    assert Path(task["file"]).name == day_file.name
    orders = _rows(day_file)
    assert orders and task["rows"] == len(orders)
    assert {order[BY_COMMAND["order"].title_of("status")] for order in orders} == {"PAID"}
    assert task["sha256"] == hashlib.sha256(day_file.read_bytes()).hexdigest()


def test_a_bad_field_raises_the_cli_error_before_anything_is_sent(environment: Path) -> None:
    with pytest.raises(exportctl.ValidationError) as caught:
        exportctl.export("voucher", fields=["cod"], output="never.csv")
    assert caught.value.exit_code == exportctl.ExitCode.USAGE
    assert "Did you mean 'code'?" in caught.value.message
    assert not (environment / "never.csv").exists()


def test_an_existing_target_is_refused_with_a_hint_and_kept(environment: Path) -> None:
    (environment / "vouchers.csv").write_text("keep me\n")
    with pytest.raises(exportctl.UsageError) as caught:
        exportctl.export("voucher", output="vouchers.csv")
    assert "exists" in caught.value.message
    assert (environment / "vouchers.csv").read_text() == "keep me\n"


def test_plan_accepts_the_api_filter_object_and_needs_no_credentials(tmp_path: Path) -> None:
    planned = exportctl.plan(
        "voucher", fields=["code"], filters={"type": {"conditions": {"$is": "GIFT_VOUCHER"}}}, output=tmp_path / "v.csv"
    )
    ((endpoint, body),) = planned.requests
    assert endpoint == "/v1/exports"
    assert body["parameters"]["filters"]["type"] == {"conditions": {"$is": ["GIFT_VOUCHER"]}}
    assert planned.target == tmp_path / "v.csv"


def test_wrong_credentials_raise_auth_error(sandbox: Sandbox, tmp_path: Path) -> None:
    settings = exportctl.Settings(base_url=sandbox.base_url, app_id=sandbox.app_id, app_token="wrong")
    with pytest.raises(exportctl.AuthError) as caught:
        exportctl.export("voucher", output=tmp_path / "v.csv", settings=settings)
    assert caught.value.exit_code == exportctl.ExitCode.AUTH


def test_events_reach_on_event_and_no_wait_returns_the_id(sandbox: Sandbox, tmp_path: Path) -> None:
    from exportctl.events import StatusChanged, Submitted

    settings = exportctl.Settings(
        base_url=sandbox.base_url,
        app_id=sandbox.app_id,
        app_token=sandbox.secret_key,
        poll_interval=float(TEST_POLL_INTERVAL),  # settings built by hand do not read EXPORTCTL_POLL_INTERVAL
    )
    seen: list[object] = []
    done = exportctl.export("customer", output=tmp_path / "c.csv", settings=settings, on_event=seen.append)
    assert next(type(e) for e in seen if isinstance(e, Submitted | StatusChanged)) is Submitted
    assert any(isinstance(e, StatusChanged) and e.status == "DONE" for e in seen)
    assert done.rows is not None and done.rows > 0

    later = exportctl.export("customer", wait=False, settings=settings)
    assert later.output is None and later.rows is None
    assert later.export_ids[0].startswith("exp_")


def test_dates_strings_and_one_string_field_list_are_read_like_flags() -> None:
    planned = exportctl.plan("order", fields="id,status", since=date(2026, 1, 1), until="2026-02-01", split_by="month")
    ((_, body),) = planned.requests
    assert body["parameters"]["fields"] == ["id", "status"]
    window = body["parameters"]["filters"]["created_at"]["conditions"]
    assert window == {"$after": ["2025-12-31T23:59:59.999Z"], "$before": ["2026-02-01T00:00:00.000Z"]}


# One row per keyword of `plan` and `export` (a test keeps the rows equal to their signatures): a value of the
# wrong type or range, and the start of the one UsageError it gets. Before the door checked them these gave an
# AttributeError/TypeError from deep inside, or were accepted (output=1, since_last=1, timeout=nan, now=naive).
WRONG: list[tuple[str, object, str]] = [
    ("name", 5, "name: got int 5; expected an object's name as a str"),
    ("fields", [5], "fields: got list [5]; expected a list of field names (str), or one comma-separated str."),
    ("fields", {"code": 1}, "fields: got dict {'code': 1}; expected a list of field names"),
    ("order", 1, "order: got int 1; expected a string."),
    ("filters", 5, "filters: got int 5; expected a list of filter expressions (str), one str, or the API's filter"),
    ("filters", [5], "filters: got list [5]; expected a list of filter expressions"),
    ("filters", {5: {}}, "filters: got dict {5: {}}; expected a list of filter expressions"),
    ("campaign_id", 1, "campaign_id: got int 1; expected a string."),
    ("junction", ["and"], "junction: got list ['and']; expected 'and' or 'or'."),
    ("voucher", 1, "voucher: got int 1; expected a string."),
    ("campaign", 1, "campaign: got int 1; expected a string."),
    ("member", 1, "member: got int 1; expected a string."),
    ("config", 1, "config: got int 1; expected a str or pathlib.Path."),
    ("output", 1, "output: got int 1; expected a str or pathlib.Path ('-' for standard output)."),
    ("output", b"v.csv", "output: got bytes b'v.csv'; expected a str or pathlib.Path"),
    ("output_dir", 1, "output_dir: got int 1; expected a str or pathlib.Path."),
    ("force", "no", "force: got str 'no'; expected True or False."),
    ("wait", "no", "wait: got str 'no'; expected True or False."),
    ("timeout", float("nan"), "timeout: got float nan; expected a duration from 0 to 36500d (100 years)"),
    ("timeout", -1, "timeout: got int -1; expected a duration from 0 to 36500d (100 years), more than 0."),
    ("timeout", True, "timeout: got bool True; expected seconds (int or float), a datetime.timedelta, or a str"),
    ("timeout", [1], "timeout: got list [1]; expected seconds"),
    ("headers", 1, "headers: got int 1; expected a string."),
    ("format", 1, "format: got int 1; expected a string."),
    ("into", 1, "into: got int 1; expected a str such as 'duckdb:warehouse.duckdb#vouchers'."),
    ("unparsed", 1, "unparsed: got int 1; expected a string."),
    ("since", 20260101, "since: got int 20260101; expected a datetime.date, a datetime.datetime, or a str"),
    ("until", [1], "until: got list [1]; expected a datetime.date"),
    ("split_by", 1, "split_by: got int 1; expected 'day', 'week' or 'month'."),
    ("parallel", "2", "parallel: got str '2'; expected an int."),
    ("parallel", 0, "parallel: got int 0; expected an int from 1 to 16."),
    ("parallel", True, "parallel: got bool True; expected an int."),
    ("since_last", 1, "since_last: got int 1; expected a str or pathlib.Path."),
    ("state_key", 1, "state_key: got int 1; expected a string."),
    ("cursor", 1, "cursor: got int 1; expected 'created_at' or 'updated_at'."),
    (
        "lookback",
        [600],
        "lookback: got list [600]; expected seconds (int or float), a datetime.timedelta, or a str such as '10m'.",
    ),
    ("now", "2026-01-01", "now: got str '2026-01-01'; expected a datetime.datetime (naive means UTC)."),
    ("settings", 1, "settings: got int 1; expected an exportctl.Settings (or None: from the environment)."),
    ("on_event", 1, "on_event: got int 1; expected a callable taking one exportctl event."),
    ("field", ["code"], "field: not a keyword of exportctl.plan or exportctl.export. Did you mean 'fields'?"),
]


@pytest.mark.parametrize(("keyword", "value", "message"), WRONG, ids=[f"{k}={v!r}" for k, v, _ in WRONG])
def test_a_keyword_of_the_wrong_type_is_one_usage_error(
    keyword: str, value: object, message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    call: Any = exportctl.export if keyword in ("settings", "on_event", "field") else exportctl.plan
    with pytest.raises(exportctl.UsageError) as caught:
        if keyword == "name":
            call(value)
        else:
            call("order", **{keyword: value})
    assert caught.value.message.startswith(message), caught.value.message
    assert caught.value.exit_code == 2
    assert not list(tmp_path.iterdir())  # nothing written


def test_every_keyword_has_a_wrong_row() -> None:
    import inspect

    names = set(inspect.signature(exportctl.plan).parameters) | {"settings", "on_event"}
    assert {keyword for keyword, _, _ in WRONG} - {"field"} == names


def test_a_naive_now_means_utc_in_any_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    seen = set()
    for zone in ("UTC", "America/St_Johns", "Asia/Kathmandu"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        planned = exportctl.plan("order", since_last="state.json", now=datetime(2026, 3, 1, 12))
        seen.add(planned.to_dict()["requests"][0]["until"])
    monkeypatch.delenv("TZ")
    time.tzset()
    assert seen == {"2026-03-01T12:00:00.000Z"}


def test_a_kinds_export_from_python_saves_only_its_kind_and_member_scopes_one_card(
    environment: Path, pinned: Sandbox
) -> None:
    gift = exportctl.export("gift-card-transactions", output="gift.csv")
    saved = (environment / "gift.csv").read_bytes()
    rows = _rows(environment / "gift.csv")
    assert gift.rows == len(rows) > 0 and gift.sha256 == hashlib.sha256(saved).hexdigest()
    assert rows and all(row["Type"].startswith("CREDITS_") for row in rows)
    code = pinned.store.rows(
        "SELECT v.code FROM vouchers v JOIN voucher_transactions t ON t.voucher_id = v.id "
        "WHERE v.voucher_type = 'LOYALTY_CARD' ORDER BY v.id LIMIT 1"
    )[0][0]
    card = exportctl.export("loyalty-card-transactions", member=code, fields=["id", "amount"], output="card.csv")
    assert card.rows == len(_rows(environment / "card.csv")) > 0
    planned = exportctl.plan("loyalty-card-transactions", member=code)
    assert planned.requests[0][0] == f"/v1/loyalties/members/{code}/transactions/export"


def test_typed_outputs_from_python(sandbox: Sandbox, tmp_path: Path) -> None:
    import hashlib
    import json

    from exportctl.events import Converted

    settings = exportctl.Settings(base_url=sandbox.base_url, app_id=sandbox.app_id, app_token=sandbox.secret_key)
    seen: list[object] = []
    done = exportctl.export(
        "order", format="jsonl", output=tmp_path / "o.jsonl", unparsed="fail", settings=settings, on_event=seen.append
    )
    assert done.output == tmp_path / "o.jsonl"
    saved = (tmp_path / "o.jsonl").read_bytes()
    assert done.sha256 == hashlib.sha256(saved).hexdigest() and done.bytes == len(saved)
    assert done.rows == len(saved.splitlines()) == done.summary["rows_written"]
    assert json.loads(saved.splitlines()[0])["id"].startswith("ord_")
    assert [e.format for e in seen if isinstance(e, Converted)] == ["jsonl"]
    planned = exportctl.plan("order", format="parquet", into="sqlite:" + str(tmp_path / "w.db"))
    assert planned.options.format == "parquet" and planned.options.into is not None
    assert planned.to_dict()["into"]["table"] == "order"
    with pytest.raises(exportctl.UsageError, match="format: got int 1; expected a string"):
        exportctl.plan("order", format=1)  # type: ignore[arg-type]


def test_the_refusals_that_waiting_does_not_clear_are_at_the_library_door() -> None:
    import exportctl
    from exportctl.errors import ApiError, AuthError, ExitCode

    assert issubclass(exportctl.WrongClusterError, AuthError)
    assert issubclass(exportctl.QuotaError, ApiError)
    assert exportctl.QuotaError.exit_code == ExitCode.API_REJECTED
    assert {"WrongClusterError", "QuotaError"} <= set(dir(exportctl))
