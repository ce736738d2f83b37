"""jobs/existing.py: the file name of an export's object, the list query checked before sending (offline), and
the download of a DONE export to its target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exportctl import schema
from exportctl.client.api import ApiClient
from exportctl.errors import UsageError
from exportctl.jobs.existing import DEFAULT_PAGE_SIZE, command_for, list_query, require_done
from exportctl.jobs.listing import PAGE_SIZE_FOLLOWING
from exportctl.request.model import ExportRequest
from exportctl.sandbox import Sandbox
from tests.conftest import Recorder


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


def test_download_done_checks_its_target_once_before_a_byte_and_makes_a_missing_directory(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    from exportctl.files.atomic import part_path
    from exportctl.jobs.existing import download_done
    from tests.jobs.conftest import finished_export, sandbox_file

    export = finished_export(client, ExportRequest(schema.get_object("voucher"), fields=("code",)), recorder)
    taken = tmp_path / "taken.csv"
    taken.write_bytes(b"mine")
    with pytest.raises(UsageError, match="already exists") as caught:
        download_done(client, export, export["id"], output=str(taken))
    assert caught.value.export_id == export["id"]
    assert taken.read_bytes() == b"mine" and not part_path(taken).exists()  # refused before a byte

    saved = download_done(client, export, export["id"], output=str(tmp_path / "new" / "deeper" / "v.csv"))
    assert saved.target == tmp_path / "new" / "deeper" / "v.csv"
    assert (tmp_path / "new" / "deeper" / "v.csv").read_bytes() == sandbox_file(sandbox, export["id"])
