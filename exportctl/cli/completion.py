"""`exportctl completion SHELL`: the TAB-completion script for bash, zsh or fish.

Completion itself runs `exportctl` with `_EXPORTCTL_COMPLETE` set; the answers come from the schema
tables (and the profile file's names), so a TAB press imports neither requests nor yaml.
"""

from __future__ import annotations

import enum
from typing import Annotated

import typer

PROG_NAME = "exportctl"
COMPLETE_VAR = "_EXPORTCTL_COMPLETE"

# Typer's bash script hands bash's own words to the completer, but bash splits words at `=` and `:`
# (COMP_WORDBREAKS), which cuts `--filter status=PA` and `field:$op:v` apart. This script asks with
# the words of the command line as typed, then strips from each answer the part that bash keeps as
# separate words, so `status=PA<TAB>` completes to `status=PAID`.
BASH_SCRIPT = r"""
_exportctl_completion() {
    local IFS=$' \t\n'
    local line="${COMP_LINE:0:COMP_POINT}"
    local -a words
    read -r -a words <<< "$line"
    local cword=$(( ${#words[@]} - 1 ))
    [[ "$line" =~ [[:space:]]$ ]] && cword=${#words[@]}
    local word="${words[cword]}"
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local prefix="${word%"$cur"}"
    IFS=$'\n'
    COMPREPLY=( $( env COMP_WORDS="$line" COMP_CWORD="$cword" _EXPORTCTL_COMPLETE=complete_bash \
        "${COMP_WORDS[0]}" 2>/dev/null ) )
    [[ -n "$prefix" ]] && COMPREPLY=( "${COMPREPLY[@]#"$prefix"}" )
    # Inside a comma list or after `=`, more may follow: no space after the completed item.
    [[ "$word" == *[,=]* ]] && compopt -o nospace
    # A filter's field is followed by its operator, a prefix (`address.`) by its sub-field: no space either.
    local prev=""
    (( cword > 0 )) && prev="${words[cword-1]}"
    [[ "$prev" == "--filter" || "$prev" == "-F" || "$word" == --filter=* ]] && compopt -o nospace
    [[ ${#COMPREPLY[@]} -eq 1 && "${COMPREPLY[0]}" == *. ]] && compopt -o nospace
    # Values from a closed set are never file names: no file listing when none matches.
    case "$prev" in
        --profile|--region|@CLOSED_FLAGS@)
            compopt +o default ;;
    esac
    return 0
}

complete -o default -F _exportctl_completion exportctl
""".lstrip()


class Shell(str, enum.Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def closed_flags() -> list[str]:
    """The export options whose values come from a closed set (the option table's choices, fields, orders,
    filters): after them bash must not fall back to file names."""
    from exportctl.cli.options import CLOSED_SOURCES
    from exportctl.request.option_keys import export_options

    return [flag for o in export_options() if o.choices or o.complete in CLOSED_SOURCES for flag in o.flags]


def completion_script(shell: Shell) -> str:
    """The script that teaches `shell` to complete exportctl."""
    if shell is Shell.bash:
        return BASH_SCRIPT.replace("@CLOSED_FLAGS@", "|".join(closed_flags()))
    # Typer's zsh and fish scripts pass the whole command line, so they need no such care.
    from exportctl.cli.typer_internals import completion_script_for

    return completion_script_for(prog_name=PROG_NAME, complete_var=COMPLETE_VAR, shell=shell.value) + "\n"


def completion(
    shell: Annotated[Shell, typer.Argument(help="The shell: bash, zsh or fish.", metavar="bash|zsh|fish")],
) -> None:
    """Print the TAB-completion script for a shell (see README, 'Shell completion')."""
    typer.echo(completion_script(shell), nl=False)
