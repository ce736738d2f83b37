"""`exportctl validate FILE...`: check config files offline, every problem of every file. A CI lint step.

A file with `exports:` (or `defaults:`) is a multi-export file; any other is a single-export file, whose
object is the `--object` option, else the one its file name starts with (`order.yaml`,
`gift-card-transactions-weekly.yaml`), else its `exported_object`. The report is the command's answer,
so it goes to standard output: `file:line: problem` lines (or `--json`), and one OK line per good file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from exportctl.cli.completion_sources import complete_object
from exportctl.cli.console import print_info, write_json
from exportctl.schema import API_OBJECTS, BY_COMMAND, ExportObject, lookup

if TYPE_CHECKING:
    from exportctl.request.runfile import Problem


def object_for(file: Path, config: Any, chosen: str | None) -> ExportObject | str:
    """The object a single-export file is for, or why it cannot be told."""
    if chosen is not None:
        return BY_COMMAND[chosen]
    stem = file.name.split(".", 1)[0].lower()
    named = [c for c in BY_COMMAND if stem == c or stem.startswith((f"{c}-", f"{c}_"))]
    if named:
        return BY_COMMAND[max(named, key=len)]
    exported = config.get("exported_object")
    if isinstance(exported, str) and exported in API_OBJECTS:
        return API_OBJECTS[exported]
    if isinstance(exported, str):
        from exportctl.suggest import closest

        known = (*API_OBJECTS, *(c for c in BY_COMMAND if c not in API_OBJECTS))
        match = closest(exported, known)
        maybe = f" Did you mean {match!r}?" if match else ""
        return f"exported_object: unknown object {exported!r}.{maybe} Valid objects: {', '.join(API_OBJECTS)}."
    return (
        "cannot tell which object this file exports: add 'exported_object', name the file after the "
        f"object (order.yaml), or pass --object. Valid objects: {', '.join(BY_COMMAND)}."
    )


def check_file(file: Path, chosen: str | None) -> dict[str, Any]:
    """The report of one file: its kind, its object or exports, and its problems."""
    from exportctl.errors import ConfigError
    from exportctl.request import runfile
    from exportctl.request.configfile import load_config

    label = str(file)
    report: dict[str, Any] = {"file": label, "kind": None, "object": None, "exports": None, "problems": []}
    try:
        config = load_config(file)
    except ConfigError as error:
        report["problems"] = [runfile.Problem(label, error.line, error.message)]
        return report
    problems: list[Problem]
    if runfile.is_multi(config):
        report["kind"] = "multi"
        entries, problems = runfile.read_multi(label, config)
        report["exports"] = [{"name": entry.name, "object": entry.obj.command} for entry in entries]
    else:
        report["kind"] = "single"
        obj = object_for(file, config, chosen)
        if isinstance(obj, str):
            problems = [runfile.Problem(label, None, f"{label}: {obj}")]
        else:
            report["object"] = obj.command
            problems = runfile.single_problems(label, obj, config)
    report["problems"] = problems
    return report


def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="Single-export or multi-export YAML files.", metavar="FILE...", show_default=False),
    ],
    object_name: Annotated[
        str | None,
        typer.Option(
            "--object",
            help="The object of the single-export files, when neither their name nor exported_object says it.",
            metavar="OBJECT",
            autocompletion=complete_object,
        ),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print {ok, files: [{file, kind, object, exports, problems}]} as JSON."),
    ] = False,
) -> None:
    """Check config files offline (no credentials, no network): every problem of every file, exit 2 if any.

    Each problem is one line, `file:line: what is wrong`, with the valid values and a "did you mean".
    Example: exportctl validate sample-configs/*.yaml
    """
    if object_name is not None:
        lookup(object_name, where="--object")
    reports = [check_file(file, object_name) for file in files]
    count = sum(len(report["problems"]) for report in reports)
    if json_output:
        for report in reports:
            report["problems"] = [problem.to_json() for problem in report["problems"]]
        write_json(json.dumps({"ok": count == 0, "files": reports}))
    else:
        for report in reports:
            for problem in report["problems"]:
                typer.echo(problem.message)
            if not report["problems"]:
                typer.echo(f"{report['file']}: OK ({_what(report)})")
    if count:
        bad = sum(1 for report in reports if report["problems"])
        print_info(f"{count} problem{'s' if count != 1 else ''} in {bad} of {len(reports)} files.")
        raise typer.Exit(2)


def _what(report: dict[str, Any]) -> str:
    if report["kind"] == "multi":
        names = ", ".join(entry["name"] for entry in report["exports"])
        return f"{len(report['exports'])} exports: {names}"
    return f"one {report['object']} export"
