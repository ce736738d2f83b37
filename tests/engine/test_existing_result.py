"""engine/existing_result.py: `WaitResult` and `ListResult`, the documents of `wait`/`status`/`list --json`.

Whether the library and the CLI give the same document for the same export is tests/test_library_jobs.py;
here, what each value makes of what the API answered (hostile text included).
"""

from __future__ import annotations

import json
from typing import Any

from exportctl.engine.contract import CONTRACT_KEYS
from exportctl.engine.existing_result import ListResult, WaitResult, listed
from exportctl.jobs.listing import Listing

HOSTILE = "\x1b]52;c;cm0gLXJmIH4=\x07[red]x[/red]\u202e"


def _wait(**changes: Any) -> WaitResult:
    values: dict[str, Any] = {
        "export_id": "exp_1",
        "exported_object": "voucher",
        "status": "DONE",
        "export": {"id": "exp_1", "status": "DONE", "result": {"url": "https://files.example/x.csv"}},
        "api_calls": 3,
        "seconds": 1.23456,
    }
    return WaitResult(**(values | changes))


def test_a_wait_document_is_the_contract_then_the_apis_export() -> None:
    document = _wait().to_dict()
    assert list(document) == [*CONTRACT_KEYS, "export"]
    assert document["object"] == "wait" and document["exit_code"] == 0
    assert document["export_id"] == "exp_1" and document["status"] == "DONE"
    assert document["seconds"] == 1.235 and document["api_calls"] == 3
    assert document["export"]["result"]["url"] == "https://files.example/x.csv"
    assert document["output"] is None and document["error"] is None


def test_status_is_the_same_document_under_its_own_command() -> None:
    assert _wait(command="status").to_dict() == _wait().to_dict() | {"object": "status"}


def test_the_document_is_a_copy_not_the_result_itself() -> None:
    result = _wait()
    result.to_dict()["export"]["status"] = "ERROR"
    assert result.to_dict()["export"]["status"] == "DONE"


def test_what_the_server_sent_stays_data_in_the_json_text() -> None:
    result = _wait(exported_object=HOSTILE, status=HOSTILE, export={"id": HOSTILE, "nested": [HOSTILE]})
    text = result.to_json()
    assert "\n" not in text and "\x1b" not in text and "\x07" not in text  # escaped by JSON, one line
    assert json.loads(text)["export"] == {"id": HOSTILE, "nested": [HOSTILE]}
    assert json.loads(text)["exported_object"] == HOSTILE


def test_an_unknown_status_and_no_object_are_kept_as_the_api_said() -> None:
    document = _wait(exported_object=None, status="PAUSED_BY_SOMEONE").to_dict()
    assert document["exported_object"] is None and document["status"] == "PAUSED_BY_SOMEONE"


def test_a_list_document_counts_the_exports_that_matched() -> None:
    exports = ({"id": "exp_1"}, {"id": "exp_2", "x": HOSTILE})
    result = ListResult(
        exports, total=40, pages=2, truncated=False, filters={"status": "DONE"}, api_calls=2, seconds=0.5
    )
    document = result.to_dict()
    assert list(document) == [*CONTRACT_KEYS, "total", "exports", "pages", "truncated", "filters"]
    assert document["object"] == "list" and document["rows"] == 2 and document["total"] == 40
    assert document["exports"] == [{"id": "exp_1"}, {"id": "exp_2", "x": HOSTILE}]
    assert document["filters"] == {"status": "DONE"} and document["export_id"] is None
    assert json.loads(result.to_json()) == document


def test_an_empty_list_is_zero_rows_not_null() -> None:
    document = ListResult((), total=None, pages=1, truncated=False, filters={}, api_calls=1, seconds=0.0).to_dict()
    assert document["rows"] == 0 and document["exports"] == [] and document["total"] is None


def test_listed_reads_a_listing_and_keeps_its_order_and_what_was_read() -> None:
    listing = Listing(exports=[{"id": "b"}, {"id": "a"}], total=7, pages=3, read=5, truncated=True, more=False)
    result = listed(listing, {"object": "voucher"}, api_calls=3, seconds=2.0)
    assert [export["id"] for export in result.exports] == ["b", "a"]
    assert (result.total, result.pages, result.read, result.truncated, result.more) == (7, 3, 5, True, False)
    listing.exports.append({"id": "late"})  # the result does not follow the listing it was made from
    assert result.to_dict()["rows"] == 2 and result.to_dict()["truncated"] is True
