"""Multi-export files: several exports in one YAML file, checked as a whole, then run together.

The format::

    defaults:                    # optional: any key of a single-export file, for every export
      output_dir: exports
      timeout: 30m
    exports:
      - name: paid-orders        # required, unique: letters, digits, - _ . ; {name} in output templates
        object: order            # required: the subcommand (voucher, gift-card-transactions, ...)
        parameters: {fields: [id, amount], order: -created_at, filters: ["status=PAID"]}
        output: "{name}-{date}.csv"

Each entry is a single-export config (the option table's YAML keys, `request.option_keys.config_keys()`,
validated by `request.build.build_request`, with the file's own line numbers) plus `name` and `object`.
An entry's key replaces the same key of `defaults` as a whole (a `parameters` of its own replaces the
default `parameters`; nothing is merged deeper).

Running the entries is `jobs.batch`'s job; this module only reads and checks the file, offline.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exportctl.errors import UsageError, ValidationError
from exportctl.files.targets import STDOUT, needs_export_id, template_placeholders
from exportctl.request.build import build_request
from exportctl.request.configfile import KeyLocator, KeyPath, LoadedConfig
from exportctl.request.lint import config_problems
from exportctl.request.model import ExportRequest, RunOptions
from exportctl.request.option_keys import RequestFlags, config_keys
from exportctl.schema import BY_COMMAND, ExportObject, lookup
from exportctl.suggest import closest

if TYPE_CHECKING:
    pass

# The top level of a multi-export file; a file with either key is read as one.
MULTI_KEYS: dict[str, str] = {
    "defaults": "Keys of a single-export file applied to every export (an export's own key wins).",
    "exports": "The list of exports; each is a single-export file plus name and object.",
}
ENTRY_KEYS: dict[str, str] = {
    "name": "Unique name of the export: letters, digits, - _ . ({name} in output templates).",
    "object": "What to export: a subcommand name (order, voucher, gift-card-transactions, ...).",
}
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
# `{name}` but not the escaped `{{name}}`.
_NAME_PLACEHOLDER = re.compile(r"(?<!\{)\{name\}(?!\})")
_LOCATION = re.compile(r":(\d+)(?::\d+)?: ")


@dataclass(frozen=True)
class Problem:
    """One problem of a config file: where, and the message the export commands print for it."""

    file: str
    line: int | None
    message: str  # starts with `file:line: ` like every located message

    def to_json(self) -> dict[str, Any]:
        """The `--json` form."""
        return {"file": self.file, "line": self.line, "message": self.message}


def _problem(file: str, error: UsageError, *, fallback_line: int | None = None, label: str = "") -> Problem:
    """A Problem from an error; a message that names no place gets the fallback line (and a label)."""
    text = error.message
    if text.startswith(f"{file}:"):
        found = _LOCATION.match(text, len(file))
        if found is None:
            return Problem(file, None, text)
        # The export's name tells which export a message is about (a key from `defaults` names no entry).
        named = f"{text[: found.end()]}{label}: {text[found.end() :]}" if label else text
        return Problem(file, int(found.group(1)), named)
    where = file if fallback_line is None else f"{file}:{fallback_line}"
    return Problem(file, fallback_line, f"{where}: {label + ': ' if label else ''}{text}")


@dataclass(frozen=True)
class Entry:
    """One export of a multi-export file, validated and built."""

    name: str
    obj: ExportObject
    request: ExportRequest
    options: RunOptions
    line: int | None  # where the entry starts in the file


def is_multi(config: Mapping[str, Any]) -> bool:
    """Whether a loaded YAML mapping is a multi-export file (it has `exports:` or `defaults:`)."""
    return any(key in config for key in MULTI_KEYS)


def _where(file: str, lines: Mapping[KeyPath, int], keys: KeyPath) -> str:
    """`file:line: dotted.path`, by the locator the single-export messages use."""
    return KeyLocator(file, lines)(keys)


def _subtree(lines: Mapping[KeyPath, int], prefix: KeyPath) -> dict[KeyPath, int]:
    """The lines under `prefix`, with their keys made relative to it."""
    size = len(prefix)
    return {keys[size:]: line for keys, line in lines.items() if keys[:size] == prefix and len(keys) > size}


def check_template(template: str, where: str) -> None:
    """UsageError, located at `where`, for an output template with an unknown placeholder."""
    if template == STDOUT:
        return
    try:
        template_placeholders(template)
    except UsageError as error:
        raise type(error)(f"{where}: {error.message}") from None


def single_problems(file: str, obj: ExportObject, config: Mapping[str, Any]) -> list[Problem]:
    """Every problem of a single-export file (from `load_config`) for `obj`: what `exportctl OBJECT -c FILE` refuses."""
    lines: Mapping[KeyPath, int] = getattr(config, "lines", {})
    problems = [_problem(file, error) for error in config_problems(obj, config)]
    output = config.get("output")
    if isinstance(output, str):
        try:
            check_template(output, _where(file, lines, ("output",)))
        except UsageError as error:
            problems.append(_problem(file, error))
    return _sorted(problems)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.line if p.line is not None else 0)


def read_multi(file: str, config: Mapping[str, Any]) -> tuple[list[Entry], list[Problem]]:
    """The exports of a multi-export file (from `load_config`), and every problem in it (then no entries)."""
    lines: Mapping[KeyPath, int] = getattr(config, "lines", {})
    problems: list[Problem] = []

    def report(error: UsageError, **kwargs: Any) -> None:
        problem = _problem(file, error, **kwargs)
        if problem not in problems:
            problems.append(problem)

    known = config_keys()
    for key in config:
        if key not in MULTI_KEYS:
            placed = " It belongs in 'defaults' or in each export." if key in known or key in ENTRY_KEYS else ""
            report(
                ValidationError(
                    f"{_where(file, lines, (key,))}: unknown key '{key}' in a multi-export file.{placed}",
                    valid=tuple(MULTI_KEYS),
                    suggestion=None if placed else closest(str(key), MULTI_KEYS),
                )
            )

    defaults: Mapping[str, Any] = {}
    raw_defaults = config.get("defaults")
    if isinstance(raw_defaults, Mapping):
        defaults = {}
        for key, value in raw_defaults.items():
            if key in known:
                defaults[key] = value
                continue
            where = _where(file, lines, ("defaults", key))
            if key in ENTRY_KEYS:
                report(UsageError(f"{where}: '{key}' belongs in each export, not in defaults."))
            else:
                report(
                    ValidationError(
                        f"{where}: unknown key '{key}'.", valid=tuple(known), suggestion=closest(key, known)
                    )
                )
    elif raw_defaults is not None:
        report(UsageError(f"{_where(file, lines, ('defaults',))}: expected a mapping of single-export keys."))

    raw_entries = config.get("exports")
    if not isinstance(raw_entries, list) or not raw_entries:
        got = "nothing" if raw_entries is None else "an empty list" if raw_entries == [] else "no list"
        report(
            UsageError(
                f"{_where(file, lines, ('exports',))}: expected a list of exports "
                f"(each with name, object and the keys of a single export), got {got}."
            ),
            fallback_line=None,
        )
        return [], _sorted(problems)

    entries: list[Entry] = []
    names: dict[str, int | None] = {}
    targets: dict[str, tuple[str, int | None]] = {}
    for index, raw in enumerate(raw_entries):
        keys: KeyPath = ("exports", index)
        entry_line = lines.get(keys)
        if not isinstance(raw, Mapping):
            report(
                UsageError(
                    f"{_where(file, lines, keys)}: expected a mapping with name, object "
                    "and the keys of a single export."
                )
            )
            continue
        name = _entry_name(file, lines, keys, raw, names, report)
        obj = _entry_object(file, lines, keys, raw, report)
        if obj is None:
            continue
        # A name refused above still stands for {name}, so that the template is checked for the rest.
        written = raw.get("name")
        entry_config = _entry_config(file, lines, keys, raw, defaults, str(written) if written is not None else name)
        label = name or f"exports[{index}]"
        found = config_problems(obj, entry_config)
        output = entry_config.get("output")
        if isinstance(output, str):
            try:
                check_template(output, _where(file, entry_config.lines, ("output",)))
            except UsageError as bad_template:
                found.append(bad_template)
        for problem in found:
            report(problem, fallback_line=entry_line, label=label)
        if found or name is None:
            continue
        request, options = build_request(obj, RequestFlags(), entry_config)
        if _entry_target_problems(file, entry_config, name, options, targets, report):
            continue
        entries.append(Entry(name, obj, request, options, entry_line))
    problems = _sorted(problems)
    return ([] if problems else entries), problems


def _entry_name(
    file: str,
    lines: Mapping[KeyPath, int],
    keys: KeyPath,
    raw: Mapping[str, Any],
    names: dict[str, int | None],
    report: Callable[..., None],
) -> str | None:
    value = raw.get("name")
    where = _where(file, lines, (*keys, "name"))
    if value is None:
        report(UsageError(f"{_where(file, lines, keys)}: 'name' is missing: each export needs a unique name."))
        return None
    if not isinstance(value, str) or not NAME_PATTERN.match(value):
        report(
            UsageError(
                f"{where}: '{value}' is not a valid name: use letters, digits, '-', '_' and '.', "
                "starting with a letter or digit."
            )
        )
        return None
    if value in names:
        first = names[value]
        report(UsageError(f"{where}: the name '{value}' is used twice{f' (first on line {first})' if first else ''}."))
        return None
    names[value] = lines.get((*keys, "name"))
    return value


def _entry_object(
    file: str, lines: Mapping[KeyPath, int], keys: KeyPath, raw: Mapping[str, Any], report: Callable[..., None]
) -> ExportObject | None:
    value = raw.get("object")
    commands = tuple(BY_COMMAND)
    if value is None:
        report(
            ValidationError(f"{_where(file, lines, keys)}: 'object' is missing: what to export.", valid=commands),
        )
        return None
    try:
        return lookup(str(value), where=_where(file, lines, (*keys, "object")))
    except ValidationError as problem:
        report(problem)
        return None


def _entry_config(
    file: str,
    lines: Mapping[KeyPath, int],
    keys: KeyPath,
    raw: Mapping[str, Any],
    defaults: Mapping[str, Any],
    name: str | None,
) -> LoadedConfig:
    """The entry's single-export config: defaults, then its own keys; lines point where each key was written."""
    own = _subtree(lines, keys)
    inherited = _subtree(lines, ("defaults",))
    merged: dict[str, Any] = {}
    merged_lines: dict[KeyPath, int] = {}
    for key, value in defaults.items():
        if key not in raw:
            merged[key] = value
            merged_lines.update({k: v for k, v in inherited.items() if k[0] == key})
    for key, value in raw.items():
        if key not in ENTRY_KEYS:
            merged[key] = value
            merged_lines.update({k: v for k, v in own.items() if k[0] == key})
    output = merged.get("output")
    if isinstance(output, str) and name is not None:
        merged["output"] = _NAME_PLACEHOLDER.sub(name, output)
    return LoadedConfig(merged, file, merged_lines)


def _entry_target_problems(
    file: str,
    config: LoadedConfig,
    name: str,
    options: RunOptions,
    targets: dict[str, tuple[str, int | None]],
    report: Callable[..., None],
) -> bool:
    """Refuse standard output, bad templates and a fixed target that another export also writes."""
    where = _where(file, config.lines, ("output",))
    template = options.output
    if template == STDOUT:
        report(
            UsageError(
                f"{where}: '-' (standard output) cannot be a target in a multi-export file: the summary uses it."
            )
        )
        return True
    if needs_export_id(template):
        return False  # the export id makes the name unique
    assert template is not None  # the default template has {id}
    path = os.path.normpath(Path(options.output_dir or "") / template)
    if path in targets:
        other, line = targets[path]
        report(
            UsageError(
                f"{where}: '{path}' is also the target of export '{other}'"
                f"{f' (line {line})' if line else ''}; give each export its own file, e.g. with {{name}}."
            )
        )
        return True
    targets[path] = (name, config.lines.get(("output",)))
    return False


def select(entries: Sequence[Entry], only: Sequence[str]) -> list[Entry]:
    """The entries named in `only` (all when empty), in file order; ValidationError for an unknown name."""
    if not only:
        return list(entries)
    names = [entry.name for entry in entries]
    for wanted in only:
        if wanted not in names:
            raise ValidationError(
                f"--only: no export is named '{wanted}'.", valid=names, suggestion=closest(wanted, names)
            )
    return [entry for entry in entries if entry.name in only]
