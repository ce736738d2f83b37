"""The private Typer APIs of `exportctl.cli.typer_internals`, on the Typer versions they were checked against."""

from __future__ import annotations

import ast
from pathlib import Path

import typer

from exportctl.cli import typer_internals

# Each was installed and this file and the completion, help-page, exit-code and lazy-import tests run on
# it. A new Typer release fails here first: check typer_internals.py against it, then add it.
CHECKED_TYPER_VERSIONS = ("0.26.8", "0.27.3", "0.28.0")

PACKAGE = Path(__file__).resolve().parents[2] / "exportctl"


def test_the_installed_typer_is_one_the_internals_were_checked_against() -> None:
    assert typer.__version__ in CHECKED_TYPER_VERSIONS, (
        f"Typer {typer.__version__} is not in CHECKED_TYPER_VERSIONS: check exportctl/cli/typer_internals.py"
    )


def test_only_typer_internals_imports_private_typer_modules() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "typer_internals.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.relative_to(PACKAGE)}: {n}" for n in names if n.startswith(("typer._", "typer.core"))]
    assert found == []


def test_each_internal_still_does_its_job() -> None:
    assert issubclass(typer_internals.click_usage_error(), Exception)
    assert issubclass(typer_internals.TyperGroup, object) and hasattr(typer_internals.TyperGroup, "resolve_command")
    # cli/global_options.py lists the root's options after a command's own through this method.
    assert callable(getattr(typer_internals.TyperCommand, "format_options", None))
    typer_internals.register_completion_classes()
    script = typer_internals.completion_script_for(
        prog_name="exportctl", complete_var="_EXPORTCTL_COMPLETE", shell="zsh"
    )
    assert "compdef exportctl" in script
