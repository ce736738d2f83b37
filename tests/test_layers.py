"""The layer rule, read from the imports: cli -> jobs -> request / client / files -> schema, settings, errors, events.

Every import counts, also those inside functions and under TYPE_CHECKING: a lazy import is still a
dependency, only a cheaper one. An import may go down the layers or sideways within one; never up, and
the packages and modules never form a cycle.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "exportctl"

# Higher numbers may import lower ones. The door (the package root and library.py) stands beside cli/.
LAYERS: dict[str, int] = {
    "exportctl": 3,
    "exportctl.__main__": 3,
    "exportctl.library": 3,
    "exportctl.library_jobs": 3,
    "exportctl.dlt": 3,  # a dlt source over the library door
    "exportctl.cli": 3,
    "exportctl.jobs": 2,
    "exportctl.engine": 2,
    "exportctl.request": 1,
    "exportctl.client": 1,
    "exportctl.files": 1,
    "exportctl.remote": 1,
    "exportctl.state": 1,
    "exportctl.formats": 1,
    "exportctl.warehouse": 1,
    "exportctl.sandbox": 1,
    "exportctl.schema": 0,
    "exportctl.settings": 0,
    "exportctl.errors": 0,
    "exportctl.events": 0,
    "exportctl.suggest": 0,
    "exportctl.masking": 0,
    "exportctl.profile_reading": 0,
    "exportctl.tuning": 0,
    "exportctl.version": 0,
}

TERMINAL_LIBRARIES = ("typer", "rich")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit(module: str) -> str:
    """The layered unit a module belongs to: a subpackage, or a top-level module."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def imports(path: Path) -> Iterator[tuple[str, int, set[str]]]:
    """(imported module, line, names taken from it) for every import of exportctl in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "exportctl":
                    yield alias.name, node.lineno, set()
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "exportctl":
                continue
            names = {alias.name for alias in node.names}
            # `from exportctl.jobs import plan` imports the module exportctl.jobs.plan, not the package's name.
            submodules = {name for name in names if _is_module(f"{node.module}.{name}")}
            for name in sorted(submodules):
                yield f"{node.module}.{name}", node.lineno, set()
            if names - submodules:
                yield node.module, node.lineno, names - submodules


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent / Path(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


@functools.cache  # read once per session: eleven tests ask, and parsing every module takes a while
def graph() -> dict[str, dict[str, int]]:
    """module -> {imported module: first line}."""
    edges: dict[str, dict[str, int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = module_name(path)
        targets = edges.setdefault(source, {})
        for target, line, _names in imports(path):
            if target != source:
                targets.setdefault(target, line)
    return edges


def test_every_module_has_a_layer() -> None:
    missing = sorted({unit(m) for m in graph()} - set(LAYERS))
    assert missing == [], f"give these a layer in tests/test_layers.py: {missing}"


def test_imports_never_climb_a_layer() -> None:
    upward = [
        f"{source} (layer {LAYERS[unit(source)]}) imports {target} (layer {LAYERS[unit(target)]}) on line {line}"
        for source, targets in graph().items()
        for target, line in targets.items()
        if LAYERS[unit(target)] > LAYERS[unit(source)]
    ]
    assert upward == []


def test_the_door_does_not_go_through_the_cli() -> None:
    through = [
        f"{source} imports {target}"
        for source, targets in graph().items()
        if unit(source) in ("exportctl", "exportctl.library", "exportctl.library_jobs")
        for target in targets
        if unit(target) == "exportctl.cli"
    ]
    assert through == []


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_packages_form_no_cycle() -> None:
    edges: dict[str, set[str]] = {}
    for source, targets in graph().items():
        for target in targets:
            if unit(source) != unit(target):
                edges.setdefault(unit(source), set()).add(unit(target))
    assert _cycle(edges) is None


PACKAGES = ["request", "client", "files", "state", "remote", "formats", "warehouse", "jobs", "engine", "cli", "sandbox"]


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_form_no_cycle_inside_a_package(package: str) -> None:
    prefix = f"exportctl.{package}"
    edges = {
        source: {t for t in targets if t.startswith(prefix)}
        for source, targets in graph().items()
        if source.startswith(prefix)
    }
    assert _cycle(edges) is None


def test_only_cli_imports_typer_or_rich() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if unit(module_name(path)) == "exportctl.cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            where = f"{module_name(path)}:{node.lineno}"
            offenders += [f"{where} {n}" for n in names if n.split(".")[0] in TERMINAL_LIBRARIES]
    assert offenders == []


def test_the_rule_sees_an_upward_import(tmp_path: Path) -> None:
    """The checker itself: an import from a lower layer to a higher one is found."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from exportctl.jobs import plan\n")
    found = list(imports(sample))
    assert ("exportctl.jobs.plan", 2, set()) in found
    assert LAYERS[unit("exportctl.jobs.plan")] > LAYERS[unit("exportctl.request.build")]


# Only pure data tables may run long; the sandbox too keeps to one concern per module (its generator is
# split by object family, its server and query by concern).
LONG_ALLOWED = {"exportctl/schema.py"}
LONG_ALLOWED_UNDER: tuple[str, ...] = ()
MAX_LINES = 400


def test_modules_stay_small() -> None:
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE.parent).as_posix()
        if name in LONG_ALLOWED or name.startswith(LONG_ALLOWED_UNDER):
            continue
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > MAX_LINES:
            long.append(f"{name}: {count} lines")
    assert long == [], "split these by concern (one concern per module, under ~400 lines)"
