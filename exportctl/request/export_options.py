"""The keywords of `exportctl.plan` and `exportctl.export`, typed. Generated from the option table:

    python -m exportctl.request.option_docs --write

Do not edit: tests/request/test_option_docs.py keeps this file equal to what the table generates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

Filters = Sequence[str] | Mapping[str, Any]


class ExportOptions(TypedDict, total=False):
    """Every keyword of `plan` and `export` (the option table's library keywords, then `now`)."""

    fields: Sequence[str] | None
    order: str | None
    filters: Filters | None
    campaign_id: str | None
    junction: str | None
    voucher: str | None
    campaign: str | None
    member: str | None
    config: str | Path | None
    output: str | Path | None
    output_dir: str | Path | None
    force: bool | None
    wait: bool | None
    timeout: float | timedelta | str | None
    headers: str | None
    format: str | None
    into: str | None
    unparsed: str | None
    since: date | str | None
    until: date | str | None
    split_by: str | None
    parallel: int | None
    since_last: str | Path | None
    state_key: str | None
    cursor: str | None
    lookback: float | timedelta | str | None
    now: datetime | None
