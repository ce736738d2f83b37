"""YAML config files read with the line of every key, so that every message can say `file:line: key`.

One reader and one unknown-key check for export files and the entries of run files.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from exportctl.errors import ConfigError, UsageError, ValidationError
from exportctl.request.option_keys import config_keys, parameter_keys
from exportctl.suggest import closest

KeyPath = tuple[str | int, ...]

# A config file of any honest size expands to a few hundred nodes. Aliases can make a few hundred bytes
# stand for billions ("billion laughs"), which every later step would walk: refuse far beyond honest use.
MAX_EXPANDED_NODES = 100_000


class LoadedConfig(dict[str, Any]):
    """A YAML config's mapping, remembering its file and the line of every key for error messages."""

    def __init__(self, data: Mapping[str, Any], path: str | None, lines: dict[KeyPath, int]) -> None:
        super().__init__(data)
        self.path = path
        self.lines = lines


def load_config(path: Path | str) -> dict[str, Any]:
    """Read a YAML config file into a mapping; ConfigError with file, line and column when it is not one."""
    import yaml  # start-up and --help must not pay for yaml

    label = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no such file.", path=label) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text.", path=label) from None
    except OSError as error:
        raise ConfigError(f"cannot read it: {error.strerror or error}.", path=label) from None
    try:
        # The reader checks every character as the loader is made, so that raises syntax errors too.
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        character = chr(error.character) if isinstance(error.character, int) else error.character
        message = f"YAML syntax error: {error.reason} ({character!r})."
        raise ConfigError(message, path=label, line=line, column=column) from None
    # The composer empties `anchors` by rebinding it after the document: this dict keeps the names.
    anchors: dict[str, Any] = loader.anchors
    try:
        node = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        if node is not None:
            _check_expansion(node, label, {id(value): name for name, value in anchors.items()})
            _record_lines(node, (), lines, label, set())
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        if problem.startswith("but ") and error.context:
            problem = f"{error.context}, {problem}"
        raise ConfigError(
            f"YAML syntax error: {problem}.",
            path=label,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    # The YAML constructors raise plain Python errors on some inputs (a timestamp such as 2024-13-45,
    # nesting deeper than the interpreter's stack), so these are syntax errors of the file too.
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError, TypeError) as error:
        raise ConfigError(f"YAML error: {error}.", path=label) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ConfigError(
            f"expected a mapping of keys ({', '.join(config_keys())}), but the file is {kind}.",
            path=label,
            line=node.start_mark.line + 1 if node is not None else None,
        )
    return LoadedConfig(data, label, lines)


def _check_expansion(root: Any, label: str, anchors: Mapping[int, str]) -> None:
    """ConfigError for an alias inside its own anchor, or a document over MAX_EXPANDED_NODES nodes expanded.

    Each node's expanded size is computed once (aliases share node objects), so a bomb costs its own size.
    A node that contains itself (`parameters: &p {filters: *p}`) would expand forever: refused by name.
    """
    import yaml

    sizes: dict[int, int] = {}
    # The nodes entered and not yet finished: in this depth-first walk, the ancestors of the node at hand.
    open_nodes: set[int] = set()
    # Children before parents, without recursion: a deep document must not exhaust the stack here.
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in sizes:
            continue
        children: list[Any] = []
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if not ready:
            for child in children:
                if id(child) in open_nodes or child is node:
                    _refuse_recursion(child, label, anchors)
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        open_nodes.discard(id(node))
        sizes[id(node)] = 1 + sum(sizes.get(id(child), 1) for child in children)
        if sizes[id(node)] > MAX_EXPANDED_NODES:
            raise ConfigError(
                f"the YAML aliases expand to more than {MAX_EXPANDED_NODES:,} values "
                "(an alias bomb?); write the values out instead.",
                path=label,
                line=node.start_mark.line + 1,
            )


def _refuse_recursion(node: Any, label: str, anchors: Mapping[int, str]) -> None:
    name = anchors.get(id(node))
    alias = f"the alias '*{name}'" if name is not None else "an alias"
    anchor = f"'&{name}'" if name is not None else "its anchor"
    raise ConfigError(
        f"{alias} is used inside the value its anchor {anchor} names, so it would repeat forever "
        "(a recursive alias); write the values out instead.",
        path=label,
        line=node.start_mark.line + 1,
    )


def _record_lines(node: Any, path: KeyPath, lines: dict[KeyPath, int], label: str, visited: set[int]) -> None:
    """Note the line of every key and list item under `node`, visiting each node once; refuse a key given twice."""
    import yaml

    # An aliased node appears under several paths; its lines are those of its first appearance.
    if id(node) in visited:
        return
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ConfigError(
                    f"key '{key}' is given twice (first on line {seen[key]}).",
                    path=label,
                    line=line,
                    column=key_node.start_mark.column + 1,
                )
            seen[key] = line
            lines.setdefault((*path, key), line)
            _record_lines(value_node, (*path, key), lines, label, visited)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.setdefault((*path, index), item.start_mark.line + 1)
            _record_lines(item, (*path, index), lines, label, visited)


# The top-level keys of a multi-export file (request.runfile.MULTI_KEYS, which imports this module; a test
# keeps the two equal): given to an export command's --config, they mean "use exportctl run".
MULTI_EXPORT_KEYS = ("defaults", "exports")


class KeyLocator:
    """Turns a key path of the config into the prefix of an error message: `orders.yaml:7: parameters.order`."""

    def __init__(self, path: str | None, lines: Mapping[KeyPath, int]) -> None:
        self.path = path
        self.lines = lines

    def __call__(self, keys: KeyPath) -> str:
        dotted = "".join(f"[{k}]" if isinstance(k, int) else (f".{k}" if i else k) for i, k in enumerate(keys))
        line = next((self.lines[keys[:n]] for n in range(len(keys), 0, -1) if keys[:n] in self.lines), None)
        where = self.path or ""
        if where and line is not None:
            where += f":{line}"
        return f"{where}: {dotted}" if where and dotted else (where or dotted or "config")


def check_keys(mapping: Mapping[Any, Any], names: tuple[str, ...], parent: KeyPath, at: KeyLocator) -> None:
    """Refuse the first key of `mapping` that is not in `names`, saying where it belongs when it is misplaced."""
    for key in mapping:
        name = str(key)
        if name in names:
            continue
        if not parent and name in MULTI_EXPORT_KEYS:
            raise UsageError(
                f"{at((name,))}: '{name}' is a key of a multi-export file, which lists several exports; "
                "an export command reads a single-export file.",
                hint=f"Run every export of it with: exportctl run {at.path or 'FILE'}",
            )
        where = "'parameters'" if not parent and name in parameter_keys() else None
        placed = f" It belongs under {where}." if where else ""
        if parent == ("parameters",) and name in config_keys():
            placed = " It is a top-level key, not a parameter."
        raise ValidationError(
            f"{at((*parent, name))}: unknown key '{name}'.{placed}",
            valid=names,
            suggestion=None if placed else closest(name, names),
        )
