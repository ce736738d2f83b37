"""`list` with filters and paging, `delete` of several exports, against a sandbox of their own.

The sandbox pages its list as the API does (`limit` 1-100, `page` from 1, `total`), so `--all` is tested
by having more exports than a page; a hostile server that never ends its list shows the bound.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli
from tests.cli.hostile import Answer, Hostile, Request, export, hostile_server
from tests.cli.test_hostile_servers import run
from tests.cli.test_login_doctor import Terminal, _terminal_env
from tests.conftest import start_sandbox

VOUCHERS, ORDERS = 9, 4


def _create(sandbox: Sandbox, exported_object: str) -> str:
    answer = requests.post(
        f"{sandbox.base_url}/v1/exports",
        json={"exported_object": exported_object},
        headers={"X-App-Id": sandbox.app_id, "X-App-Token": sandbox.secret_key},
        timeout=10,
    )
    answer.raise_for_status()
    return str(answer.json()["id"])


@pytest.fixture(scope="module")
def listed() -> Iterator[Sandbox]:
    """A sandbox holding VOUCHERS voucher exports and ORDERS order exports, created one after the other."""
    with start_sandbox() as running:
        for _ in range(VOUCHERS):
            _create(running, "voucher")
        for _ in range(ORDERS):
            _create(running, "order")
        _wait_until_all_done(running)
        yield running


def _wait_until_all_done(sandbox: Sandbox) -> None:
    """So that no export changes its status between two lists of a test."""
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = requests.get(
            f"{sandbox.base_url}/v1/exports",
            params={"limit": 100},
            headers={"X-App-Id": sandbox.app_id, "X-App-Token": sandbox.secret_key},
            timeout=10,
        ).json()
        if all(item["status"] == "DONE" for item in answer["exports"]):
            return
        time.sleep(0.05)
    raise AssertionError("the sandbox's exports never finished")


def _json(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_all_follows_every_page(listed: Sandbox) -> None:
    runner = Cli(listed)
    one_page = _json(runner("list", "--limit", "5", "--json"))
    assert one_page["rows"] == 5 and one_page["total"] == VOUCHERS + ORDERS and one_page["pages"] == 1
    every = _json(runner("list", "--all", "--limit", "5", "--json"))
    ids = [item["id"] for item in every["exports"]]
    assert len(ids) == len(set(ids)) == VOUCHERS + ORDERS == every["rows"]
    assert every["pages"] == 3 and every["api_calls"] == 3 and every["truncated"] is False
    # Newest first, as a single page is.
    assert ids[:5] == [item["id"] for item in one_page["exports"]]
    # Without --limit, --all reads pages of 100: one call.
    assert _json(runner("list", "--all", "--json"))["api_calls"] == 1


def test_filters_by_status_object_and_creation_time(listed: Sandbox) -> None:
    runner = Cli(listed)
    every = _json(runner("list", "--all", "--limit", "4", "--json"))["exports"]
    orders = _json(runner("list", "--all", "--limit", "4", "--object", "order", "--json"))
    assert orders["rows"] == ORDERS and {item["exported_object"] for item in orders["exports"]} == {"order"}
    assert orders["filters"] == {"status": None, "object": ["order"], "since": None}
    # The command's name is accepted for the API's (voucher-transactions for voucher_transactions).
    both = _json(runner("list", "--all", "--object", "voucher,order", "--json"))
    assert both["rows"] == VOUCHERS + ORDERS
    assert _json(runner("list", "--all", "--status", "done", "--json"))["rows"] == VOUCHERS + ORDERS
    assert _json(runner("list", "--all", "--status", "ERROR,SCHEDULED", "--json"))["rows"] == 0
    # --since at the creation time of the fifth newest: that one and the four newer, nothing older.
    fifth = every[4]["created_at"]
    since = _json(runner("list", "--all", "--limit", "2", "--since", fifth, "--json"))
    expected = [item["id"] for item in every if item["created_at"] >= fifth]
    assert [item["id"] for item in since["exports"]] == expected
    assert since["pages"] < 7  # the reading stopped at the first page reaching older exports


def test_filters_on_one_page_say_that_more_pages_exist(listed: Sandbox) -> None:
    result = Cli(listed)("list", "--limit", "3", "--object", "order", "--format", "tsv")
    assert result.exit_code == 0, result.output
    assert "applied to page 1 only; add --all" in result.stderr


def test_bad_filters_are_refused_with_the_valid_values(listed: Sandbox) -> None:
    runner = Cli(listed)
    wrong = runner("list", "--status", "FINISHED")
    assert wrong.exit_code == 2 and "Unknown export status 'FINISHED'" in wrong.stderr and "DONE" in wrong.stderr
    typo = runner("list", "--object", "vouchr")
    assert typo.exit_code == 2 and "Did you mean 'voucher'?" in typo.stderr
    both = runner("list", "--all", "--page", "2")
    assert both.exit_code == 2 and "--page" in both.stderr
    when = runner("list", "--since", "last tuesday")
    assert when.exit_code == 2 and "--since" in when.stderr


def test_all_stops_at_its_bound_on_a_list_that_never_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("exportctl.jobs.listing.MAX_LIST_PAGES", 3)

    def endless(request: Request, state: Hostile) -> Answer:
        page = len(state.requests)
        items = [export(f"exp_{page}_{n}", "DONE") for n in range(100)]
        return Answer(200, {"object": "list", "exports": items, "total": 10**9})

    with hostile_server(endless) as hostile:
        result = run(hostile, "list", "--all", "--format", "tsv")
        document = _json(run(hostile, "list", "--all", "--json"))
    assert result.exit_code == 0, result.output
    assert "Stopped after 3 pages" in result.stderr
    assert document["truncated"] is True and document["pages"] == 3 and document["rows"] == 300


def _exists(sandbox: Sandbox, export_id: str) -> bool:
    answer = requests.get(
        f"{sandbox.base_url}/v1/exports/{export_id}",
        headers={"X-App-Id": sandbox.app_id, "X-App-Token": sandbox.secret_key},
        timeout=10,
    )
    return answer.status_code == 200


def test_delete_several_with_yes(cli: Cli, sandbox: Sandbox) -> None:
    ids = [_create(sandbox, "voucher") for _ in range(3)]
    document = _json(cli("delete", *ids, "--yes", "--json"))
    assert document["deleted"] is True and document["export_id"] is None
    assert [(item["id"], item["deleted"]) for item in document["exports"]] == [(i, True) for i in ids]
    assert not any(_exists(sandbox, export_id) for export_id in ids)


def test_delete_goes_on_past_a_missing_export_and_exits_with_its_refusal(cli: Cli, sandbox: Sandbox) -> None:
    first, last = _create(sandbox, "voucher"), _create(sandbox, "voucher")
    result = cli("delete", first, "exp_doesnotexist", last, "--yes", "--json")
    assert result.exit_code == 4, result.output
    document = json.loads(result.stdout)
    assert document["exit_code"] == 4 and document["deleted"] is False
    assert [item["deleted"] for item in document["exports"]] == [True, False, True]
    assert "Deleted 2 of 3 exports; exp_doesnotexist" in result.stderr
    assert not _exists(sandbox, first) and not _exists(sandbox, last)


def test_delete_without_a_terminal_and_without_yes_deletes_nothing(cli: Cli, sandbox: Sandbox) -> None:
    ids = [_create(sandbox, "voucher") for _ in range(2)]
    result = cli("delete", *ids)
    assert result.exit_code == 2
    assert "standard input is not a terminal; nothing was deleted" in result.stderr
    assert f"exportctl delete {' '.join(ids)} --yes" in result.stderr
    assert all(_exists(sandbox, export_id) for export_id in ids)
    as_json = cli("delete", *ids, "--json")
    assert as_json.exit_code == 2 and json.loads(as_json.stdout)["exit_code"] == 2
    assert all(_exists(sandbox, export_id) for export_id in ids)


@pytest.mark.parametrize(("answer", "code", "extra"), [("y", 0, ()), ("n", 1, ()), ("n", 1, ("--json",))])
def test_delete_asks_on_a_terminal(
    sandbox: Sandbox, tmp_path: Path, answer: str, code: int, extra: tuple[str, ...]
) -> None:
    ids = [_create(sandbox, "voucher") for _ in range(2)]
    env = _terminal_env(tmp_path / "config") | {
        "VOUCHERIFY_APP_ID": sandbox.app_id,
        "VOUCHERIFY_APP_TOKEN": sandbox.secret_key,
        "VOUCHERIFY_API_BASE_URL": sandbox.base_url,
    }
    env = {key: value for key, value in env.items() if value is not None}
    assert os.environ.get("XDG_CONFIG_HOME")  # the isolated fixture's, not the machine's
    terminal = Terminal(["delete", *ids, *extra], env)
    terminal.read_until("Delete 2 exports and their files on the server")
    terminal.type(answer)
    screen = terminal.read_until("Deleted" if answer == "y" else "Nothing was deleted.")
    if extra:  # the --json document says so too
        screen = terminal.read_until('"exit_code": 1')
    assert terminal.finish() == code, screen
    assert all(_exists(sandbox, export_id) is (answer == "n") for export_id in ids)


def test_an_export_the_shifting_list_shows_twice_is_listed_once() -> None:
    def shifting(request: Request, state: Hostile) -> Answer:
        # A new export arrived between the two pages: page 2 begins with page 1's last one.
        page = 1 if "page=1" in request.path else 2
        ids = ["exp_a", "exp_b"] if page == 1 else ["exp_b", "exp_c"]
        created = {"exp_a": "2026-01-03T00:00:00Z", "exp_b": "2026-01-02T00:00:00Z", "exp_c": "2026-01-01T00:00:00Z"}
        items = [export(i, "DONE", created_at=created[i]) for i in ids]
        return Answer(200, {"object": "list", "exports": items, "total": 4})

    with hostile_server(shifting) as hostile:
        document = _json(run(hostile, "list", "--all", "--limit", "2", "--json"))
    assert [item["id"] for item in document["exports"]] == ["exp_a", "exp_b", "exp_c"]
    assert document["pages"] == 2
