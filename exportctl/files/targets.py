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


def missing_directory(directory: Path) -> Path | None:
    """The first directory on the way to `directory` that does not exist yet (None: it all exists).

    UsageError when it could not be created: a component is a file, a symbolic link to nothing (creating
    it would write wherever the link points), or the directory to create it in is not writable.
    """
    current = directory if str(directory) else Path()
    missing: Path | None = None
    while not os.path.lexists(current) and current.parent != current:
        missing, current = current, current.parent
    cannot = f"The output directory {directory} cannot be created: " if missing is not None else ""
    if current.is_symlink() and not current.exists():
        raise UsageError(
            f"{cannot or 'The output directory '}{current} is a symbolic link to nothing; "
            "exportctl does not create directories through one.",
            hint=f"Remove the link (rm {current}) or point it at a directory.",
        )
    if not current.is_dir():
        raise UsageError(
            f"{cannot or 'The output directory '}{current} is {'a file' if missing else 'not a directory'}.",
            hint="Choose another --output or --output-dir.",
        )
    if not os.access(current, os.W_OK | os.X_OK):
        raise UsageError(f"{cannot or 'The output directory '}{current} is not writable.")
    return missing


def check_directory(directory: Path, *, create: bool = False) -> None:
    """UsageError unless `directory` exists or can be created, and this process may create files in it.

    With `create` a missing one is created (with its parents, mode 0777 less the umask) as `mkdir -p` would.
    """
    missing = missing_directory(directory)
    if missing is not None and create:
        make_directory(directory)


def make_directory(directory: Path) -> None:
    """Create `directory` and its parents when missing (`mkdir -p`, mode 0777 less the umask): no check, the
    plan made it (`check_directory`); UsageError when the file system refuses."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        shown = directory if str(directory) else Path()
        raise UsageError(f"The output directory {shown} could not be created: {exc.strerror or exc}.") from None


def check_target(path: Target, force: bool, *, create: bool = False) -> None:
    """UsageError if `path` cannot be written: its directory cannot be created or is read-only, or it exists
    and not `force`. With `create` a missing directory is created (just before writing)."""
    if path == STDOUT or is_stream_target(path):
        return
    check_directory(path.parent, create=create)
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


def target_directory(template: str | None, *, command: str, output_dir: str | None, now: datetime) -> Path | None:
    """The directory a target of `template` goes to, when it is known offline (not standard output)."""
    probe = resolve_target(template, command=command, export_id="exp_ID", output_dir=output_dir, now=now)
    chosen = DEFAULT_TEMPLATE if template is None else template
    if probe == STDOUT or "{id}" in str(Path(chosen).parent):
        return None
    return probe.parent


def _braced(name: str | None) -> str | None:
    return f"{{{name}}}" if name else None
