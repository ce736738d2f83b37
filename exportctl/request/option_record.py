"""The record of one option (`Option`) and the vocabulary of the option table (`request.options`).

Standard library only, no dataclass: --help and every TAB press import this module.
"""

from __future__ import annotations

from typing import NamedTuple

# The panels of --help.
PARAMETERS = "Export parameters"
OUTPUT = "Output"
RUN = "Running"

# The doors an option is a flag of: every export command (and so a YAML file, a run entry and the library,
# when it has a `key` or is a `keyword`), and `exportctl run FILE`.
EXPORT, RUN_FILE = "export", "run"

# The most exports at once, for the windows of a split export and the entries of a run file alike.
MAX_PARALLEL = 16
HEADER_STYLES = ("api", "fields")
JUNCTIONS = ("and", "or")
SPLIT_UNITS = ("day", "week", "month")

# What an option's value is: how the CLI reads it (cli.options), which Python types the library takes and
# how they are checked (request.keywords), and the type `ExportOptions` declares (request.option_docs).
KINDS = ("text", "texts", "filters", "path", "switch", "count", "duration", "instant")


class Option(NamedTuple):
    """One option, named once for every way to give it (a NamedTuple: cheaper to create at start-up).

    `help` may hold `{command}`, `{default_fields}`, `{prefixes}`, `{orders}` and `{filter_names}`: filled from
    each object's schema table by the command that shows it.
    """

    name: str  # the library's keyword, the attribute of RequestFlags, the command function's parameter
    flags: tuple[str, ...]  # long first: ("--output", "-o"); a switch with a negative form: ("--wait/--no-wait",)
    kind: str  # one of KINDS
    help: str  # the --help text
    key: str | None = None  # where a YAML file or run entry gives it (`parameters.fields`, `split`); None: nowhere
    yaml_help: str | None = None  # the YAML key's documentation (CONFIG_KEYS), for a top-level key
    doc: str | None = None  # the README's option table: its meaning there (None: the same as `help`)
    valid: str | None = None  # a library keyword: what it takes, in words for the message; None: not a keyword
    choices: tuple[str, ...] = ()  # the closed set of values (completion, metavar, checks)
    default: str | None = None  # the default as documented
    metavar: str | None = None
    panel: str = PARAMETERS
    complete: str | None = None  # completion source: fields, orders, filters, directory, into (else `choices`)
    doors: tuple[str, ...] = (EXPORT,)
    objects: tuple[str, ...] = ()  # the commands that take it (empty: every one, or the schema's scopes)
    initial: object = None  # the parameter's value when not given (None: "not given")
    bounds: tuple[int, int] | None = None  # a count's range, checked by the CLI itself (run's --parallel)
    run_help: str | None = None  # the help on `exportctl run`, where it differs (None: `help`)
    adds: bool = False  # the flag adds to the file's value (--filter) instead of replacing it

    @property
    def long(self) -> str:
        """The long flag (`--wait` of `--wait/--no-wait`)."""
        return self.flags[0].split("/")[0]
