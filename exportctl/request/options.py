"""The option table: every option of the export commands and of `run`, declared once as a record.

From these records are made: the Typer parameters of every export command and of `exportctl run`
(`cli.options`), the YAML keys and their documentation (`CONFIG_KEYS`, `exportctl schema`, the messages of
`validate`), the keys of a run file's entries, `RequestFlags` (the options as given), the library's keywords
(`ExportOptions` in `request/export_options.py`, generated; `exportctl.plan`/`export` and their checks),
the completion script's closed sets, and the README's option table (`request.option_docs`).
A new option is one record here; tests/request/test_options.py adds a dummy one and checks each of these.

Standard library only, no dataclass: --help and every TAB press import this module.
"""

from __future__ import annotations

from exportctl.request.command_options import COMMAND_OPTIONS
from exportctl.request.into import FORMATS, UNPARSED_MODES
from exportctl.request.option_record import (
    EXPORT,
    HEADER_STYLES,
    JUNCTIONS,
    OUTPUT,
    RUN,
    RUN_FILE,
    SPLIT_UNITS,
    Option,
)

_TEXT = "a string"
_PATH = "a str or pathlib.Path"
_INSTANT = "a datetime.date, a datetime.datetime, or a str such as '2024-01-01' or '-30d'"

# In the export commands' order (and so of --help, completion and the README's table).
OPTIONS: tuple[Option, ...] = (
    Option(
        "fields",
        ("--fields", "-f"),
        "texts",
        "Columns, comma-separated or repeated (see `exportctl schema {command}`). Default: {default_fields}.{prefixes}",
        key="parameters.fields",
        doc="columns; repeatable; `metadata.X` and the documented prefixes accepted. Default: the API's default fields",
        valid="a list of field names (str), or one comma-separated str",
        metavar="FIELD,...",
        complete="fields",
    ),
    Option(
        "order",
        ("--order",),
        "text",
        "Sort order; a leading - sorts descending. One of: {orders}.",
        key="parameters.order",
        doc="sort order: `created_at` ascending, `-created_at` descending (the API has no `+` sign: `+created_at` "
        "is refused before anything is sent, naming `created_at`); `exportctl schema OBJECT` lists the values",
        valid=_TEXT,
        metavar="ORDER",
        complete="orders",
    ),
    Option(
        "filters",
        ("--filter", "-F"),
        "filters",
        "Filter expression, repeatable: status=PAID,FULFILLED  amount>=1000  created_at>2024-01-01  "
        "email~@example.com  field:$operator:v1,v2  (see README, 'Filters'). Fields: {filter_names}.",
        key="parameters.filters",
        doc="a filter expression, repeatable ([grammar](#filters))",
        valid="a list of filter expressions (str), one str, or the API's filter object (a dict)",
        metavar="EXPR",
        complete="filters",
        adds=True,
    ),
    Option(
        "campaign_id",
        ("--campaign",),
        "text",
        "Only the vouchers of this campaign: its ID (camp_...), sent as the API's parameters.campaign_id. The "
        "API applies --since/--until and created_at filters to it since its fix of 2026-06-22; before that it "
        "ignored them.",
        key="parameters.campaign_id",
        doc="`voucher` only: the vouchers of one campaign (its ID), sent as the API's `parameters.campaign_id`. "
        "The API has applied date filters (`--since`, `created_at>...`) to it only since its fix of 2026-06-22",
        valid=_TEXT,
        metavar="ID",
        objects=("voucher",),
    ),
    Option(
        "junction",
        ("--junction",),
        "text",
        "How filters combine: and (every filter) or or (any filter). Default: and.",
        key="junction",
        yaml_help="How the filters combine: and | or (default and).",
        doc="how the filters combine (default `and`)",
        valid="'and' or 'or'",
        choices=JUNCTIONS,
        default="and",
        metavar="and|or",
    ),
    Option(
        "voucher",
        ("--voucher",),
        "text",
        "Scope to one card: its code or ID.",
        key="voucher",
        yaml_help="Scope transactions to one card: its code or ID.",
        doc="scope (transactions): one card, by code or ID",
        valid=_TEXT,
        metavar="CODE",
    ),
    Option(
        "campaign",
        ("--campaign",),
        "text",
        "Scope to one campaign: its ID or name.",
        key="campaign",
        yaml_help="Scope transactions or points expirations to one campaign: its ID or name.",
        doc="scope (transactions, points expirations): one campaign, by ID or name. `points-expiration "
        "--campaign` and `loyalty-card-transactions --campaign`/`--member` use the API's four legacy "
        '`/v1/loyalties/*/export` endpoints, marked deprecated since 2026-07-17 ("Legacy loyalty API"); they '
        "still work, and their `--help` says so",
        valid=_TEXT,
        metavar="ID",
    ),
    Option(
        "member",
        ("--member",),
        "text",
        "Scope to one loyalty card: its code or ID.",
        key="member",
        yaml_help="Scope loyalty card transactions to one loyalty card: its code or ID (with campaign: of it).",
        doc="scope (`loyalty-card-transactions`): one loyalty card, by code or ID",
        valid=_TEXT,
        metavar="CODE",
    ),
    Option(
        "config",
        ("--config", "-c"),
        "path",
        "YAML file with the export parameters; flags override it.",
        doc="read the parameters from a YAML file; flags override it",
        valid=_PATH,
        metavar="FILE.yaml",
    ),
    Option(
        "output",
        ("--output", "-o"),
        "path",
        "Target path or template ({object} {id} {date} {time}); - streams the CSV to stdout; "
        "a .gz target is compressed. Default: {object}-{id}.csv",
        key="output",
        yaml_help="Target path or template ({object} {id} {date} {time}); - for stdout.",
        doc="target path or template: `{object}` `{id}` `{date}` `{time}`; `-` streams the CSV to stdout; a `.gz` "
        "target is gzip-compressed. Default `{object}-{id}.csv`",
        valid=f"{_PATH} ('-' for standard output)",
        metavar="PATH",
        panel=OUTPUT,
    ),
    Option(
        "output_dir",
        ("--output-dir",),
        "path",
        "Directory for the target (default: the current one).",
        key="output_dir",
        yaml_help="Directory for the target.",
        doc="directory for a relative target. A missing directory (of `-o` too, of a run file's "
        "`output`/`output_dir`, and of `--into`'s database) is created when the file is written, as `mkdir -p` "
        "would (mode from the umask); "
        "`--dry-run` says `Would create the directory DIR`. A component that is a file or a symbolic link to "
        "nothing is refused before anything is submitted (exit 2)",
        valid=_PATH,
        metavar="DIR",
        panel=OUTPUT,
        complete="directory",
        doors=(EXPORT, RUN_FILE),
        run_help="Directory for every export's target, instead of the file's own.",
    ),
    Option(
        "force",
        ("--force",),
        "switch",
        "Overwrite an existing target.",
        key="force",
        yaml_help="Overwrite an existing target: true | false.",
        doc="overwrite an existing target (otherwise it is an error, before anything is submitted)",
        valid="True or False",
        panel=OUTPUT,
        doors=(EXPORT, RUN_FILE),
        run_help="Overwrite existing targets (a second run on the same day).",
    ),
    Option(
        "wait",
        ("--wait/--no-wait",),
        "switch",
        "Wait for the export and download it (default), or print its id and return.",
        key="wait",
        yaml_help="Wait for the export and download it: true | false.",
        doc="wait and download (default), or print the export id and return",
        valid="True or False",
        panel=RUN,
    ),
    Option(
        "timeout",
        ("--timeout",),
        "duration",
        "Give up waiting after this long: 90s, 15m, 2h. Default: no limit.",
        key="timeout",
        yaml_help="Give up waiting after this long: 90s, 15m, 2h.",
        doc="give up waiting after `90s`, `15m`, `2h`... (exit 6, with the command that resumes); default no "
        "limit, `0` is refused (exit 2)",
        valid="seconds (int or float), a datetime.timedelta, or a str such as '15m'",
        metavar="DURATION",
        panel=RUN,
    ),
    Option(
        "headers",
        ("--headers",),
        "text",
        "CSV header row: api keeps the API's titles (Voucher Type), fields writes the field names "
        "(voucher_type). Default: api.",
        key="headers",
        yaml_help="CSV header row: api (the API's titles) | fields (the field names).",
        doc="the CSV's header row: `api` keeps the API's titles (default), `fields` writes the field names "
        "([header styles](#time-ranges-incremental-and-split-exports-header-styles))",
        valid=_TEXT,
        choices=HEADER_STYLES,
        default="api",
        metavar="api|fields",
        panel=OUTPUT,
    ),
    Option(
        "format",
        ("--format",),
        "text",
        "Output file: csv (the API's bytes, default), jsonl (one typed JSON object per row) or parquet "
        "(typed columns; needs exportctl[warehouse]). Column names are the field names. Default target: "
        "{object}-{id}.jsonl / .parquet.",
        key="format",
        yaml_help="Output file format: csv (as the API wrote it, default) | jsonl | parquet (typed by the schema).",
        doc="`csv` (default) is the API's bytes; `jsonl` and `parquet` are typed from the schema tables, columns "
        "named by field ([typed output](#typed-output-json-lines-and-parquet)); default target "
        "`{object}-{id}.jsonl` / `.parquet`",
        valid=_TEXT,
        choices=FORMATS,
        default="csv",
        metavar="|".join(FORMATS),
        panel=OUTPUT,
    ),
    Option(
        "into",
        ("--into",),
        "text",
        "Load the export into a database table, merged on the object's key: duckdb:PATH[#TABLE] (needs "
        "exportctl[warehouse]), sqlite:PATH[#TABLE] or postgres://USER@HOST:PORT/DB[?schema=S][#TABLE] (needs "
        "exportctl[postgres]). Default table: the object (gift_card_transactions). "
        "The CSV is kept only where -o asks for it.",
        key="into",
        yaml_help="Load into a database table: duckdb:PATH[#TABLE] | sqlite:PATH[#TABLE] | "
        "postgres://USER@HOST/DB[?schema=S][#TABLE] (default table: the object).",
        doc="load the export into a `duckdb:`, `sqlite:` or `postgres://` table, merged on the object's key "
        "([into a warehouse](#into-a-warehouse))",
        valid="a str such as 'duckdb:warehouse.duckdb#vouchers'",
        metavar="ENGINE:PATH[#TABLE]",
        complete="into",
        panel=OUTPUT,
    ),
    Option(
        "unparsed",
        ("--unparsed",),
        "text",
        "A value that does not fit its column's type (--format jsonl|parquet, --into): keep it as text in "
        "the _unparsed column (default), or fail naming the row and column (exit 9).",
        key="unparsed",
        yaml_help="A value that does not fit its column's type: keep (in the _unparsed column, default) | fail.",
        doc="a value that does not fit its column's type: kept as text in the `_unparsed` column (default), or "
        "the run fails naming the record and column (exit 9), writing nothing",
        valid=_TEXT,
        choices=UNPARSED_MODES,
        default="keep",
        metavar="keep|fail",
        panel=OUTPUT,
    ),
    Option(
        "since",
        ("--since",),
        "instant",
        "Only records created at or after this: 2024-01-01 or 2024-01-01T10:00:00Z (UTC unless a zone). "
        "With --since-last: only for the first run.",
        key="since",
        yaml_help="Only records created at or after this: 2024-01-01 or an ISO 8601 date-time (UTC unless a zone).",
        doc="only records created at or after this: `2024-01-01`, an ISO 8601 date-time (UTC unless a zone) or "
        "relative (`-30d`, `today`)",
        valid=_INSTANT,
        metavar="DATE",
    ),
    Option(
        "until",
        ("--until",),
        "instant",
        "Only records created before this (exclusive). Default with --split-by: now.",
        key="until",
        yaml_help="Only records created before this (exclusive); default for split and incremental: the run's start.",
        doc="only records created before this (exclusive)",
        valid=_INSTANT,
        metavar="DATE",
    ),
    Option(
        "split_by",
        ("--split-by",),
        "text",
        "Cut the export into created_at windows (day, week or month, UTC) from --since, run them and join "
        "them into one CSV; an interrupted run resumes with the windows it lacks.",
        key="split",
        yaml_help="Cut into created_at windows and join them: day | week | month, or "
        "{by: ..., since: ..., until: ...}.",
        doc="cut the export into `created_at` windows from `--since` and join them into one file; an interrupted "
        "run resumes with the windows it lacks",
        valid="'day', 'week' or 'month'",
        choices=SPLIT_UNITS,
        metavar="day|week|month",
        panel=RUN,
    ),
    Option(
        "parallel",
        ("--parallel",),
        "count",
        "How many --split-by windows of this export run at once, sharing the API's rate budget (1-16). "
        "Default: 1. (On exportctl run, --parallel is how many of the file's exports run at once.)",
        key="parallel",
        yaml_help="How many split windows run at once, sharing the rate budget: 1 to 16 (default 1).",
        doc="how many `--split-by` windows run at once (1-16, default 1); on `exportctl run`, `--parallel` is "
        "how many exports of the file run at once",
        valid="an int",
        default="1",
        metavar="N",
        panel=RUN,
    ),
    Option(
        "since_last",
        ("--since-last",),
        "path",
        "Incremental: export only what was created since the last complete run recorded in this JSON "
        "state file, then move its watermark. A second overlapping run exits with status 8.",
        key="incremental",
        yaml_help="Incremental export: the state file (a path), or {state: FILE, key: NAME, cursor: created_at|"
        "updated_at, lookback: DURATION}; see --since-last.",
        doc="incremental: only what was created since the last complete run recorded in this state file, then "
        "move its watermark",
        valid=_PATH,
        metavar="STATE",
        panel=RUN,
    ),
    Option(
        "state_key",
        ("--state-key",),
        "text",
        "Name of this export in the --since-last state file (default: derived from the object and its "
        "parameters, so changing them starts over).",
        key="incremental.key",
        doc="the export's name in the `--since-last` state file (default: derived from the object and its parameters)",
        valid=_TEXT,
        metavar="NAME",
        panel=RUN,
    ),
    Option(
        "cursor",
        ("--cursor",),
        "text",
        "With --since-last: the time field each run follows. created_at (default) exports new records; "
        "updated_at exports the records changed since the last run, merged on the key by --into "
        "(order, voucher, customer, redemption).",
        key="incremental.cursor",
        doc="with `--since-last`: `created_at` (default) exports new records; `updated_at` exports the records "
        "changed since the last run, which `--into` merges on the key (orders, vouchers, customers, redemptions)",
        valid="'created_at' or 'updated_at'",
        choices=("created_at", "updated_at"),
        default="created_at",
        metavar="created_at|updated_at",
        panel=RUN,
    ),
    Option(
        "lookback",
        ("--lookback",),
        "duration",
        "With --since-last: re-read this much before the watermark (records changed while the last run "
        "exported, clock skew): 10m, 1h. Default: 0 for created_at, 10m for updated_at; at most 7d.",
        key="incremental.lookback",
        doc="with `--since-last`: how much before the watermark each run re-reads (records changed while the "
        "last run exported, clock skew); default `0` for `created_at`, `10m` for `updated_at`, at most `7d`",
        valid="seconds (int or float), a datetime.timedelta, or a str such as '10m'",
        metavar="DURATION",
        panel=RUN,
    ),
    *COMMAND_OPTIONS,
)


def find(name: str) -> Option | None:
    """The record named `name` (read from OPTIONS each time, so that a record a test adds is found too)."""
    return next((option for option in OPTIONS if option.name == name), None)
