"""request/export_options.py: `ExportOptions`, the typed keywords of `exportctl.plan` and `exportctl.export`.

That the file is what the table generates is tests/request/test_option_docs.py; here, that the TypedDict is
the library's real signature: its keys are the keywords `plan` takes, its types resolve, and a dict typed
with it is accepted by `plan` while a key it lacks is refused, named.
"""

from __future__ import annotations

import datetime as dt
import inspect
import typing
from pathlib import Path

import pytest

import exportctl
from exportctl.request.export_options import ExportOptions
from exportctl.request.option_keys import keyword_options


def test_its_keys_are_the_tables_keywords_then_now() -> None:
    assert list(ExportOptions.__annotations__) == [option.name for option in keyword_options()] + ["now"]
    assert ExportOptions.__total__ is False


def test_its_types_resolve() -> None:
    hints = typing.get_type_hints(ExportOptions)
    assert hints["now"] == dt.datetime | None
    assert hints["force"] == bool | None and hints["parallel"] == int | None


def test_it_is_the_signature_of_plan_and_export() -> None:
    plan = inspect.signature(exportctl.plan).parameters
    assert list(plan)[1:] == list(ExportOptions.__annotations__)
    assert all(plan[name].kind is inspect.Parameter.KEYWORD_ONLY for name in list(plan)[1:])
    assert all(plan[name].default is None for name in list(plan)[1:])
    export = inspect.signature(exportctl.export).parameters
    assert export["options"].kind is inspect.Parameter.VAR_KEYWORD


def test_a_dict_typed_with_it_plans(tmp_path: Path) -> None:
    options: ExportOptions = {
        "fields": ["code"],
        "since": "2026-01-01",
        "until": "2026-03-01",
        "split_by": "month",
        "output": tmp_path / "codes.csv",
        "now": dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc),
    }
    planned = exportctl.plan("voucher", **options)
    assert len(planned.requests) == 2
    assert planned.target == tmp_path / "codes.csv"


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"split-by": "month"}, "split-by"),
        ({"sinse": "2026-01-01"}, "sinse"),
        ({"parallel": "3"}, "parallel"),
        ({"force": "yes"}, "force"),
        ({"now": "2026-01-01"}, "now"),
    ],
)
def test_a_key_or_type_it_does_not_declare_is_refused_named(options: dict[str, object], named: str) -> None:
    with pytest.raises(exportctl.UsageError) as raised:
        exportctl.plan("voucher", **options)  # type: ignore[arg-type]
    assert named in raised.value.message
