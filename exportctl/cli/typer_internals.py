"""Every Typer API outside its documented surface that exportctl relies on, imported here and nowhere else.

A Typer upgrade has this one file to check, and `tests/cli/test_typer_internals.py` names the Typer
versions it was checked against, so an unchecked version fails one clear test instead of a random one.
"""

from __future__ import annotations

from typing import Any

from typer._completion_classes import ZshComplete, completion_init
from typer.core import TyperCommand, TyperGroup

__all__ = [
    "TyperCommand",
    "TyperGroup",
    "click_usage_error",
    "completion_script_for",
    "is_no_args_help",
    "register_completion_classes",
]


def register_completion_classes() -> None:
    """Register Typer's bash/zsh/fish completion classes (zsh's as amended by `_Zsh`).

    Typer does it only when it adds --install-completion itself; exportctl prints its scripts with
    `exportctl completion SHELL` instead.
    """
    import typer._click.shell_completion as click_completion

    completion_init()
    click_completion.add_completion_class(_Zsh, "zsh")


# Options whose completed value goes on (a filter's field takes its operator next): no space after it.
NO_SPACE_AFTER = ("filters",)


class _Zsh(ZshComplete):
    """Typer's zsh answers, except: an option with its own completer never falls back to listing files
    (`--profile <TAB>` with no profile), and a filter's field or a prefix (`address.`) gets no space."""

    def complete(self) -> str:
        import shlex

        import typer._click.shell_completion as click_completion

        args, incomplete = self.get_completion_args()
        ctx = click_completion._resolve_context(self.cli, self.ctx_args, self.prog_name, list(args))
        param, _ = click_completion._resolve_incomplete(ctx, list(args), incomplete)
        closed = getattr(param, "_custom_shell_complete", None) is not None
        values = [item.value for item in self.get_completions(list(args), incomplete)]
        if not closed:
            return str(super().complete())
        if not values:
            return ""  # nothing to offer; never file names
        if getattr(param, "name", None) in NO_SPACE_AFTER or all(value.endswith((".", ",", "=")) for value in values):
            return "compadd -S '' -- " + " ".join(shlex.quote(value) for value in values)
        return str(super().complete())


def click_usage_error() -> Any:
    """The vendored click's UsageError class (Typer 0.26 moved click inside typer), to amend its message."""
    import typer._click as click_core

    return click_core.exceptions.UsageError


def is_no_args_help(error: BaseException) -> bool:
    """Whether a click usage error is the one that shows a command's help when it got no arguments."""
    import typer._click as click_core

    return isinstance(error, click_core.exceptions.NoArgsIsHelpError)


def completion_script_for(*, prog_name: str, complete_var: str, shell: str) -> str:
    """Typer's own completion script for zsh or fish."""
    from typer._completion_shared import get_completion_script

    script: Any = get_completion_script(prog_name=prog_name, complete_var=complete_var, shell=shell)
    return str(script)
