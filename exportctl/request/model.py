"""The request model: what to export (ExportRequest, turned into the API body) and how to run it (RunOptions).

`OPTIONS` is the one table of the export options: the commands' flags, `RequestFlags` and the keywords
of `exportctl.export` are made from it, the YAML keys (and so a run file's entries) checked against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from urllib.parse import quote

from exportctl.errors import ValidationError
from exportctl.request.into import Into
from exportctl.schema import EXPORT_OBJECTS, ExportObject, Scope


class Option(NamedTuple):
    """One export option, named once for every way to give it (a NamedTuple: cheaper to create at start-up)."""

    name: str  # the keyword of `exportctl.export`/`plan` and the attribute of `RequestFlags`
    flag: str  # the export commands' flag
    key: str | None  # where a YAML file or a run entry gives it (`parameters.fields`, `split`); None: flags only


# The one option table, in the order of the export commands' signatures (and so of --help and completion).
# The commands, `RequestFlags` and the keywords of the library door are made from it; the YAML keys are
# checked against it (tests/request/test_option_table.py).
OPTIONS: tuple[Option, ...] = (
    Option("fields", "--fields", "parameters.fields"),
    Option("order", "--order", "parameters.order"),
    Option("filters", "--filter", "parameters.filters"),
    Option("junction", "--junction", "junction"),
    Option("voucher", "--voucher", "voucher"),
    Option("campaign", "--campaign", "campaign"),
    Option("member", "--member", "member"),
    Option("config", "--config", None),
    Option("output", "--output", "output"),
    Option("output_dir", "--output-dir", "output_dir"),
    Option("force", "--force", "force"),
    Option("wait", "--wait", "wait"),
    Option("timeout", "--timeout", "timeout"),
    Option("headers", "--headers", "headers"),
    Option("format", "--format", "format"),
    Option("into", "--into", "into"),
    Option("unparsed", "--unparsed", "unparsed"),
    Option("since", "--since", "since"),
    Option("until", "--until", "until"),
    Option("split_by", "--split-by", "split"),
    Option("parallel", "--parallel", "parallel"),
    Option("since_last", "--since-last", "incremental"),
    Option("state_key", "--state-key", "incremental.key"),
)
BY_NAME: dict[str, Option] = {option.name: option for option in OPTIONS}
_SCOPED = {scope.option for obj in EXPORT_OBJECTS for scope in obj.scopes}
# The options that narrow an export to one resource, as the schema's scopes name them.
SCOPE_OPTIONS: tuple[str, ...] = tuple(option.name for option in OPTIONS if option.name in _SCOPED)

# A YAML file's top-level keys as its documentation and messages list them: the API body's two, then one
# per option (`incremental` holds both --since-last and --state-key; `split` may hold since and until).
CONFIG_KEYS: dict[str, str] = {
    "exported_object": "The API's exported_object; must match the subcommand (voucher_transactions for card kinds).",
    "parameters": "The API's parameters: fields, order, filters.",
    "junction": "How the filters combine: and | or (default and).",
    "voucher": "Scope transactions to one card: its code or ID.",
    "campaign": "Scope transactions or points expirations to one campaign: its ID or name.",
    "member": "Scope loyalty card transactions to one loyalty card: its code or ID (with campaign: of it).",
    "output": "Target path or template ({object} {id} {date} {time}); - for stdout.",
    "output_dir": "Directory for the target.",
    "force": "Overwrite an existing target: true | false.",
    "wait": "Wait for the export and download it: true | false.",
    "timeout": "Give up waiting after this long: 90s, 15m, 2h.",
    "headers": "CSV header row: api (the API's titles) | fields (the field names).",
    "format": "Output file format: csv (as the API wrote it, default) | jsonl | parquet (typed by the schema).",
    "into": "Load into a database table: duckdb:PATH[#TABLE] | sqlite:PATH[#TABLE] (default table: the object).",
    "unparsed": "A value that does not fit its column's type: keep (in the _unparsed column, default) | fail.",
    "incremental": "Incremental export: the state file (a path), or {state: FILE, key: NAME}; see --since-last.",
    "since": "Only records created at or after this: 2024-01-01 or an ISO 8601 date-time (UTC unless a zone).",
    "until": "Only records created before this (exclusive); default for split and incremental: the run's start.",
    "split": "Cut into created_at windows and join them: day | week | month, or {by: ..., since: ..., until: ...}.",
    "parallel": "How many split windows run at once, sharing the rate budget: 1 to 16 (default 1).",
}
API_KEYS = ("exported_object", "parameters")
PARAMETER_KEYS = tuple(
    option.key.split(".", 1)[1] for option in OPTIONS if option.key is not None and option.key.startswith("parameters.")
)
SPLIT_KEYS = ("by", "since", "until")
INCREMENTAL_KEYS = ("state", "key")
# The most exports at once, for the windows of a split export and the entries of a run file alike.
MAX_PARALLEL = 16
HEADER_STYLES = ("api", "fields")
# The closed sets of --junction and --split-by: here with the option table, so that building a command's
# completion does not load the filter parser or the window arithmetic.
JUNCTIONS = ("and", "or")
SPLIT_UNITS = ("day", "week", "month")


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

    def body(self) -> dict[str, Any]:
        """The JSON body: `exported_object` and `parameters` for /v1/exports; only `parameters` for a scope."""
        parameters: dict[str, Any] = {}
        if self.fields is not None:
            parameters["fields"] = list(self.fields)
        if self.order is not None:
            parameters["order"] = self.order
        if self.filters:
            parameters["filters"] = self.filters
        # The per-resource endpoints name the object by their path; their schemas have `parameters` only.
        body: dict[str, Any] = {} if self.scope else {"exported_object": self.obj.exported_object}
        if parameters:
            body["parameters"] = parameters
        return body

    def fingerprint(self, **extra: str) -> str:
        """sha256 of the endpoint and body (and `extra`): what a state file entry or a split manifest belongs to.

        Both are stored on disk, so the bytes hashed must never change: sorted JSON of these keys.
        """
        import hashlib  # imported here: the option table above is loaded by --help, which needs neither
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
    since: datetime | None = None  # created_at >= since (UTC, milliseconds)
    until: datetime | None = None  # created_at < until
    split_by: str | None = None  # "day" | "week" | "month"
    parallel: int = 1  # split windows at once


class RequestFlags(NamedTuple):
    """The options as given (flags, or the library's keywords), in `OPTIONS` order; None or empty: not given."""

    fields: Sequence[str] = ()  # each item may itself be "a,b,c"
    order: str | None = None
    filters: Sequence[str] = ()
    junction: str | None = None
    voucher: str | None = None
    campaign: str | None = None
    member: str | None = None
    output: str | None = None
    output_dir: str | None = None
    force: bool | None = None
    wait: bool | None = None
    timeout: str | float | None = None  # a duration as typed (`15m`), or seconds
    headers: str | None = None
    format: str | None = None
    into: str | None = None  # ENGINE:PATH[#TABLE] as typed
    unparsed: str | None = None
    since: str | date | None = None  # as typed, or a date or datetime (naive: UTC)
    until: str | date | None = None
    split_by: str | None = None
    parallel: int | None = None
    since_last: str | None = None  # the state file of an incremental export
    state_key: str | None = None
