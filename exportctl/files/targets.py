"""Where the CSV goes: target names from templates, and the checks made before anything is submitted.

A target is a `Path`, or `"-"` for standard output. Writing one is `files.atomic`'s job.

Standard library only.
"""

from __future__ import annotations

import os
import re
import string
from datetime import datetime
from pathlib import Path
from typing import Literal

from exportctl.errors import UsageError, ValidationError
from exportctl.files.atomic import part_path
from exportctl.files.opening import is_stream_target
from exportctl.suggest import closest

STDOUT: Literal["-"] = "-"
DEFAULT_TEMPLATE = "{object}-{id}.csv"
PLACEHOLDERS = ("object", "id", "date", "time")

Target = Path | Literal["-"]
STANDARD_OUTPUT_DEVICE = Path("/dev/stdout")
# The names of standard output that a target may be given as, beside `-`.
STANDARD_OUTPUT_PATHS = (STANDARD_OUTPUT_DEVICE, Path("/dev/fd/1"), Path("/proc/self/fd/1"))

# Export ids are `exp_...`; anything else in one is replaced so a hostile id cannot climb out of the directory.
_UNSAFE_IN_NAME = r"[^A-Za-z0-9_.-]"  # compiled by `re` on first use, not at start-up
# The longest file name most file systems allow, in bytes, less room for the names written next to the
# target (`TARGET.part.json`, temporary files), so that a name that fits fails before anything is submitted.
NAME_MAX = 255
NAME_ROOM = 32


def template_placeholders(template: str) -> set[str]:
    """The placeholders `template` uses; UsageError naming the valid ones for anything else."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise UsageError(
            f"Invalid output template '{template}': {exc}. Write a literal brace as '{{{{' or '}}}}'."
        ) from None
    used: set[str] = set()
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            shown = "{" + name + "}" if name else "{}"
            raise ValidationError(
                f"Unknown placeholder {shown} in output template '{template}'.",
                valid=[f"{{{p}}}" for p in PLACEHOLDERS],
                suggestion=_braced(closest(name, PLACEHOLDERS)),
            )
        if spec or conversion:
            raise UsageError(f"Placeholder {{{name}}} in output template '{template}' takes no format or conversion.")
        used.add(name)
    return used


def needs_export_id(template: str | None) -> bool:
    """Whether the target name is known only once the API has given the export an id."""
    if template is None:
        return "id" in template_placeholders(DEFAULT_TEMPLATE)
    return template != STDOUT and "id" in template_placeholders(template)


def resolve_target(
    template: str | None,
    *,
    command: str,
    export_id: str | None,
    output_dir: str | None,
    now: datetime,
) -> Target:
    """The target for `template` (default `{object}-{id}.csv`), or `"-"` for standard output.

    `{object}` is the subcommand (`voucher`, `gift-card-transactions`), `{id}` the export id, `{date}` is
    `YYYY-MM-DD` and `{time}` `HHMMSS` of `now`. A relative result is placed in `output_dir` when one is given.
    ValueError when the template needs `{id}` and `export_id` is None: callers check `needs_export_id` first.
    """
    chosen = DEFAULT_TEMPLATE if template is None else template
    if chosen == STDOUT:
        return STDOUT
    used = template_placeholders(chosen)
    if "id" in used and export_id is None:
        raise ValueError(f"the output template '{chosen}' needs the export id")
    # `{object}` and `{id}` may come from the server (`exportctl download`): one safe name component each.
    values = {
        "object": _name_component(command, "object name") if "object" in used else "",
        "id": _name_component(export_id or "", "export id") if "id" in used else "",
        "date": now.strftime("%Y-%m-%d"),
        "time": now.strftime("%H%M%S"),
    }
    rendered = chosen.format(**values)
    if not rendered.strip():
        raise UsageError(f"The output template '{chosen}' gives an empty file name.")
    path = Path(rendered).expanduser()
    if output_dir is not None and not path.is_absolute():
        path = Path(output_dir).expanduser() / path
    _check_name_lengths(path)
    if path in STANDARD_OUTPUT_PATHS:
        return STDOUT  # written like `-o -`: a rename onto it would replace the link, a write through a tty is fine
    return path


def is_standard_output(template: str | None) -> bool:
    """`-`, or a path that names this process's standard output (`/dev/stdout`, `/dev/fd/1`)."""
    if template is None:
        return False
    if template == STDOUT:
        return True
    path = Path(template).expanduser()
    return path in STANDARD_OUTPUT_PATHS


def _name_component(value: str, what: str) -> str:
    """`value` as one file-name component: unsafe characters replaced; UsageError for `.`, `..` or nothing."""
    safe = re.sub(_UNSAFE_IN_NAME, "_", value)
    if not safe.strip("."):
        raise UsageError(
            f"The {what} {value!r} cannot name a file (it would be empty or point at a directory).",
            hint="Choose the file name with --output.",
        )
    return safe


def _check_name_lengths(path: Path) -> None:
    """UsageError when a component of `path` is longer than file systems allow (with room for `.part.json`)."""
    limit = NAME_MAX - NAME_ROOM
    for part in path.parts:
        size = len(part.encode("utf-8", "surrogateescape"))
        if size > limit:
            raise UsageError(
                f"The file name {part[:40]}... is {size} bytes long; a name may have at most {limit} bytes.",
                hint="Choose a shorter name with --output.",
            )


def check_directory(directory: Path) -> None:
    """UsageError unless `directory` exists, is a directory, and this process may create files in it."""
    shown = directory if str(directory) else Path()
    if not directory.exists():
        raise UsageError(f"The output directory {shown} does not exist.", hint=f"Create it with: mkdir -p {shown}")
    if not directory.is_dir():
        raise UsageError(f"The output directory {shown} is not a directory.")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"The output directory {shown} is not writable.")


def check_target(path: Target, force: bool) -> None:
    """UsageError if `path` cannot be written: its directory is missing or read-only, or it exists and not `force`."""
    if path == STDOUT or is_stream_target(path):
        return
    check_directory(path.parent)
    if path.is_dir():
        raise UsageError(f"The output path {path} is a directory; give a file name.")
    if path.exists() and not force:
        raise UsageError(f"{path} already exists.", hint="Use --force to overwrite it, or choose another --output.")
    part = part_path(path)
    if part.is_symlink():
        raise UsageError(
            f"{part} is a symbolic link; exportctl never writes through one (it may point at someone's file).",
            hint=f"Remove it (rm {part}) and run again.",
        )


def preflight_target(
    template: str | None,
    *,
    command: str,
    output_dir: str | None,
    now: datetime,
    force: bool,
) -> Target | None:
    """Every check possible before submitting; the target when it does not depend on the export id, else None.

    Run it before `POST /v1/exports` so a bad template, a missing directory or an existing file is an error
    before an export is created for nothing.
    """
    if not needs_export_id(template):
        target = resolve_target(template, command=command, export_id=None, output_dir=output_dir, now=now)
        check_target(target, force)
        return target
    # The name waits for the id, but the directory is usually known already: check it with a stand-in id,
    # unless the id is part of the directory itself.
    probe = resolve_target(template, command=command, export_id="exp_ID", output_dir=output_dir, now=now)
    chosen = DEFAULT_TEMPLATE if template is None else template
    if probe != STDOUT and "{id}" not in str(Path(chosen).parent):
        check_directory(probe.parent)
    return None


def _braced(name: str | None) -> str | None:
    return f"{{{name}}}" if name else None
