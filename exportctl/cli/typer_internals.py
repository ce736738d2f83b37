"""Every Typer API outside its documented surface that exportctl relies on, imported here and nowhere else.

A Typer upgrade has this one file to check, and `tests/cli/test_typer_internals.py` names the Typer
versions it was checked against, so an unchecked version fails one clear test instead of a random one.
"""

from __future__ import annotations

from typing import Any

from typer._completion_classes import completion_init
from typer.core import TyperCommand, TyperGroup

__all__ = ["TyperCommand", "TyperGroup", "click_usage_error", "completion_script_for", "register_completion_classes"]


def register_completion_classes() -> None:
    """Register Typer's bash/zsh/fish completion classes.

    Typer does it only when it adds --install-completion itself; exportctl prints its scripts with
    `exportctl completion SHELL` instead.
    """
    completion_init()


def click_usage_error() -> Any:
    """The vendored click's UsageError class (Typer 0.26 moved click inside typer), to amend its message."""
    import typer._click as click_core

    return click_core.exceptions.UsageError


def completion_script_for(*, prog_name: str, complete_var: str, shell: str) -> str:
    """Typer's own completion script for zsh or fish."""
    from typer._completion_shared import get_completion_script

    script: Any = get_completion_script(prog_name=prog_name, complete_var=complete_var, shell=shell)
    return str(script)
