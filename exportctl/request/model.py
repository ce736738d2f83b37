"""The request model: what to export (ExportRequest, turned into the API body) and how to run it (RunOptions).

The options themselves are declared in the option table (`request.options`); `RequestFlags`, the options as
given, is made from it (`request.option_keys`). RunOptions is what `request.build` resolved them to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import quote

from exportctl.errors import ValidationError
from exportctl.request.into import Into
from exportctl.request.option_keys import RequestFlags
from exportctl.request.option_record import HEADER_STYLES, JUNCTIONS, MAX_PARALLEL, SPLIT_UNITS
from exportctl.schema import ExportObject, Scope

# Re-exported: what other modules read here (the declarations are the option table's).
__all__ = [
    "HEADER_STYLES",
    "JUNCTIONS",
    "MAX_PARALLEL",
    "SPLIT_UNITS",
    "ExportRequest",
    "RequestFlags",
    "RunOptions",
]


# The records below are NamedTuples, not dataclasses: every export command and TAB press imports this module,
# and creating a dataclass costs 0.3-1 ms (its methods are compiled from source each time). `_replace`
# makes a changed copy, as `dataclasses.replace` would.


class ExportRequest(NamedTuple):
    """What to export, validated: turned into the exact API request body and endpoint."""

    obj: ExportObject
    fields: tuple[str, ...] | None = None  # None: omitted, the API applies its defaults
    order: str | None = None
    filters: dict[str, Any] | None = None  # the API's form
    scope: tuple[str, str] | None = None  # ("voucher", "GIFT-1") or ("campaign", "camp_x")
    # The second option of a two-option endpoint: ("campaign", "camp_x") with scope ("member", "LC-1").
    along: tuple[str, str] | None = None
    # The API parameters sent as given (`campaign_id`): the option table's `parameters.X` records.
    extra: tuple[tuple[str, str], ...] = ()

    def body(self) -> dict[str, Any]:
        """The JSON body: `exported_object` and `parameters` for /v1/exports; only `parameters` for a scope."""
        parameters: dict[str, Any] = {}
        if self.fields is not None:
            parameters["fields"] = list(self.fields)
        if self.order is not None:
            parameters["order"] = self.order
        if self.filters:
            parameters["filters"] = self.filters
        parameters.update(self.extra)
        # The per-resource endpoints name the object by their path; their schemas have `parameters` only.
        body: dict[str, Any] = {} if self.scope else {"exported_object": self.obj.exported_object}
        if parameters:
            body["parameters"] = parameters
        return body

    def fingerprint(self, **extra: str) -> str:
        """sha256 of the endpoint and body (and `extra`): what a state file entry or a split manifest belongs to.

        Both are stored on disk, so the bytes hashed must never change: sorted JSON of these keys.
        """
        import hashlib  # imported here: --help loads this module and needs neither
        import json

        text = json.dumps({"endpoint": self.endpoint(), "body": self.body(), **extra}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def endpoint(self) -> str:
        """`/v1/exports`, or the scope's per-resource path with its value URL-quoted."""
        if self.scope is None:
            return "/v1/exports"
        found = self.scope_entry()
        if found is not None:
            values = {"value": self.scope[1], **dict([self.along] if self.along else [])}
            for option, value in (self.scope, *([self.along] if self.along else [])):
                if value in (".", ".."):
                    # Quoting cannot keep a dot segment (HTTP clients unquote %2E and remove it): refused, or
                    # --member .. --campaign C would post to the campaign's endpoint and export every member.
                    raise ValidationError(
                        f"--{option}: {value!r} is not a code or ID: it would be read as a path step.",
                        hint=f"Give the {option}'s code or ID.",
                    )
            return found.path.format(**{name: quote(value, safe="") for name, value in values.items()})
        option = self.scope[0] if self.along is None else f"{self.along[0]} and {self.scope[0]}"
        raise ValidationError(
            f"{self.obj.command} exports cannot be scoped by {option}.",
            valid=tuple(s.option for s in self.obj.scopes),
        )

    def scope_entry(self) -> Scope | None:
        """The schema's endpoint for this request's scope option (and its `along` option), if it has one."""
        if self.scope is None:
            return None
        along = self.along[0] if self.along else None
        return next((s for s in self.obj.scopes if s.option == self.scope[0] and s.along == along), None)

    def kept_types(self) -> tuple[str, ...] | None:
        """The transaction types a kind's command keeps by a row filter: None when the endpoint gives only them.

        The API has no gift-card-only transactions export, and the voucher and campaign endpoints give a card's
        or campaign's transactions whatever their kind; the loyalty endpoints give loyalty transactions only.
        """
        if self.obj.kind is None:
            return None
        found = self.scope_entry()
        if found is not None and found.one_kind:
            return None
        type_field = self.obj.get_field("type")
        return type_field.values if type_field is not None else None

    def require_type_field(self) -> None:
        """A kind's command keeps its rows by the `type` column, so that column must be exported."""
        kept = self.kept_types()
        if kept is None or self.fields is None or "type" in self.fields:
            return
        obj = self.obj
        one_kind = [f"--{s.option}" + (f" with --{s.along}" if s.along else "") for s in obj.scopes if s.one_kind]
        scoped = (
            f", or narrow it with {' or '.join(one_kind)} (an endpoint of {obj.kind} cards only)" if one_kind else ""
        )
        raise ValidationError(
            f"{obj.command} needs the type field: POST {self.endpoint()} exports transactions of every kind, and "
            f"exportctl keeps the {obj.kind} card ones ({', '.join(kept)}) by their type column.",
            hint=f"Add type to the fields{scoped}; voucher-transactions exports every kind.",
        )


class RunOptions(NamedTuple):
    """How to run the export, from the CLI's own keys (YAML and flags)."""

    output: str | None = None
    output_dir: str | None = None
    force: bool = False
    wait: bool = True
    timeout: float | None = None  # seconds; None waits as long as it takes
    headers: str | None = None  # "api" | "fields"; None: as the API writes them
    format: str = "csv"  # "csv" | "jsonl" | "parquet" (request.into.FORMATS)
    into: Into | None = None  # the database table to load into (--into)
    unparsed: str = "keep"  # "keep" | "fail": a value that does not fit its column's type
    incremental: str | None = None  # the state file of an incremental export
    incremental_key: str | None = None  # its explicit key in the state file; None: derived from the request
    cursor: str = "created_at"  # the time field an incremental export follows: created_at | updated_at
    lookback: float | None = None  # seconds each incremental window re-reads; None: the cursor's default
    since: datetime | None = None  # created_at >= since (UTC, milliseconds)
    until: datetime | None = None  # created_at < until
    split_by: str | None = None  # "day" | "week" | "month"
    parallel: int = 1  # split windows at once
