"""Reading the profile file as the hostile input it may be: bounded, never blocking, regular files only.

The profile file (`config.yaml`, see settings.py) is read by every command that needs credentials, by TAB
completion and by `login`. A FIFO there would hang all of them, a device would be read forever, a file of
100,000 nested brackets would exhaust the YAML composer's stack, and aliases can make a small file stand
for millions of values. So the file is opened without blocking, checked with fstat to be a regular file
of at most MAX_PROFILE_FILE_BYTES before a byte is read, and its YAML is composed to a bounded depth and
expanded to a bounded number of values. Every refusal is one ConfigError naming the file and the problem.

Standard library only at import time: `yaml` is imported when a file must be parsed.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from functools import cache
from pathlib import Path
from typing import Any

from exportctl.errors import ConfigError

# An honest profile file is a few hundred bytes per profile; a megabyte is thousands of profiles.
MAX_PROFILE_FILE_BYTES = 1024 * 1024
# The format nests three mappings deep (top level, profiles, one profile); room for any honest style.
MAX_YAML_DEPTH = 32
# Every value of the file counted once per place an alias puts it: far beyond thousands of profiles.
MAX_YAML_VALUES = 100_000

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


def file_kind(mode: int) -> str:
    """What a file that is not a regular one is, for a message: `a FIFO (named pipe)`, `a directory`..."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_profile_text(path: Path) -> str | None:
    """The text of the profile file at `path`, or None when there is none; ConfigError when it cannot be one.

    A symbolic link is followed (dotfiles keep the file elsewhere); a link to nothing or a loop of links
    is refused by name, as is anything that is not a regular file of at most MAX_PROFILE_FILE_BYTES.
    """
    where = str(path)
    try:
        # Checked before opening too: opening some devices has effects of its own.
        _check_regular(path.stat().st_mode, where)
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        if path.is_symlink():
            raise ConfigError(
                f"a symbolic link to {path.readlink()}, which does not exist; "
                "point the link at your profile file, or remove it",
                path=where,
            ) from None
        return None
    except OSError as exc:
        raise _open_error(exc, where) from None
    try:
        opened = os.fstat(fd)
        _check_regular(opened.st_mode, where)  # what was opened, whatever the name points at by now
        _check_size(opened.st_size, where)
        data = b""
        while len(data) <= MAX_PROFILE_FILE_BYTES:
            chunk = os.read(fd, MAX_PROFILE_FILE_BYTES + 1 - len(data))
            if not chunk:
                break
            data += chunk
        _check_size(len(data), where)  # a file that grew while being read
    except OSError as exc:
        raise ConfigError(f"cannot read the profile file: {exc.strerror or exc}", path=where) from None
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start + 1} cannot be decoded)", path=where) from None


def _check_regular(mode: int, where: str) -> None:
    if stat.S_ISDIR(mode):
        raise ConfigError("expected a YAML file, found a directory", path=where)
    if not stat.S_ISREG(mode):
        raise ConfigError(
            f"expected a YAML file, found {file_kind(mode)}; exportctl reads only a regular file here", path=where
        )


def _check_size(size: int, where: str) -> None:
    if size > MAX_PROFILE_FILE_BYTES:
        raise ConfigError(
            f"the profile file is larger than {MAX_PROFILE_FILE_BYTES // 1024} KiB; "
            "a profile file holds a few lines per profile",
            path=where,
        )


def _open_error(exc: OSError, where: str) -> ConfigError:
    if exc.errno == errno.ELOOP:
        return ConfigError("a loop of symbolic links; point the link at your profile file", path=where)
    return ConfigError(f"cannot read the profile file: {exc.strerror or exc}", path=where)


def load_profile_yaml(text: str, where: str) -> Any:
    """The YAML document in `text` as Python values, or ConfigError (file, line, column) when it is not one.

    Refuses nesting deeper than MAX_YAML_DEPTH before the composer recurses into it, and aliases that
    expand to more than MAX_YAML_VALUES values (or refer to themselves) before anything walks them.
    """
    import yaml

    loader = _bounded_loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, where)
        return loader.construct_document(node)
    except _TooDeep as deep:
        raise ConfigError(
            f"values nested more than {MAX_YAML_DEPTH} deep; a profile file nests three levels",
            path=where,
            line=deep.line,
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        raise ConfigError(problem, path=where, line=line, column=column) from None
    # The constructors raise plain Python errors on some inputs (a timestamp such as 2024-13-45).
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError, TypeError) as exc:
        raise ConfigError(f"invalid YAML: {exc}", path=where) from None
    finally:
        loader.dispose()


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


@cache
def _bounded_loader_class() -> Any:
    """yaml.SafeLoader whose composer refuses to nest deeper than MAX_YAML_DEPTH (made on first use)."""
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self.depth += 1
            try:
                if self.depth > MAX_YAML_DEPTH:
                    raise _TooDeep(self.peek_event().start_mark.line + 1)  # type: ignore[no-untyped-call]
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return BoundedLoader


def _check_expansion(root: Any, where: str) -> None:
    """ConfigError when the document, aliases expanded, holds over MAX_YAML_VALUES values or nests too deep.

    Walked without recursion and counted with every alias expanded, so a node that contains itself (an
    alias inside its own anchor) or a billion-laughs chain stops at the bound instead of running forever.
    """
    import yaml

    stack: list[tuple[Any, int]] = [(root, 1)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_YAML_VALUES or depth > MAX_YAML_DEPTH:
            raise ConfigError(
                f"the YAML aliases expand to more than {MAX_YAML_VALUES:,} values or {MAX_YAML_DEPTH} levels "
                "(an alias that refers to itself?); write the values out instead",
                path=where,
                line=node.start_mark.line + 1,
            )
        if isinstance(node, yaml.MappingNode):
            stack.extend((part, depth + 1) for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)


_TOP_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<rest>.*)$")
_CHILD_KEY = re.compile(r"^(?P<indent>[ ]+)(?P<key>[^\s#:'\"][^:#]*?|'[^']*'|\"[^\"]*\")\s*:(?:\s|$)")


def scan_profile_names(text: str) -> list[str] | None:
    """The keys directly under a block-style `profiles:`, or None when the file is not that simple."""
    names: list[str] = []
    inside = False
    child_indent: int | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            top = _TOP_KEY.match(line)
            if top is None:
                if line.startswith(("---", "...")):
                    continue
                return None
            rest = top.group("rest").split("#", 1)[0].strip()
            inside = top.group("key") == "profiles"
            if inside and rest:
                return None  # flow style (`profiles: {a: ...}`): leave it to the parser
            continue
        if not inside:
            continue
        child = _CHILD_KEY.match(line)
        indent = len(line) - len(line.lstrip(" "))
        if child_indent is None:
            child_indent = indent
        if indent == child_indent:
            if child is None:
                return None
            names.append(child.group("key").strip("'\""))
        elif indent < child_indent:
            return None
    return sorted(names)
