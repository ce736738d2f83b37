"""jobs/existing.py offline: the file name of an export's object, and the list query checked before sending."""

from __future__ import annotations

from typing import Any

import pytest

from exportctl.errors import UsageError
from exportctl.jobs.existing import DEFAULT_PAGE_SIZE, command_for, list_query, require_done
from exportctl.jobs.listing import PAGE_SIZE_FOLLOWING


@pytest.mark.parametrize(
    ("exported_object", "name"),
    [
        ("voucher_transactions", "voucher-transactions"),
        ("x../../evil", "x-evil"),
        ("..", "export"),
        (None, "export"),
        ("a" * 80, "a" * 40),
    ],
)
def test_an_exports_object_becomes_one_safe_file_name_component(exported_object: Any, name: str) -> None:
    assert command_for({"exported_object": exported_object}) == name


def test_the_page_size_follows_the_mode_unless_given() -> None:
    assert list_query().limit == DEFAULT_PAGE_SIZE
    assert list_query(follow=True).limit == PAGE_SIZE_FOLLOWING
    assert list_query(limit=7, follow=True).limit == 7


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"limit": 101}, "--limit must be from 1 to 100, not 101."),
        ({"page": 0}, "--page must be from 1 to 100, not 0."),
        ({"page": 2, "follow": True}, "--page picks one page of the list, and --all reads every page"),
        ({"order": "oldest"}, "Unknown order 'oldest'."),
    ],
)
def test_a_bad_query_is_refused_naming_the_flag(keywords: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        list_query(**keywords)
    assert caught.value.message.startswith(message)


def test_an_export_not_done_has_nothing_to_download() -> None:
    with pytest.raises(UsageError) as caught:
        require_done({"status": "IN_PROGRESS"}, "exp_1")
    assert caught.value.export_id == "exp_1" and caught.value.hint == "Wait for it with: exportctl wait exp_1"
