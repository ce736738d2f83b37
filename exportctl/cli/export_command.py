"""The body shared by every export subcommand: flags -> ExportRequest -> plan -> execute -> summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from exportctl.cli import json_contract
from exportctl.cli.app_state import app_state
from exportctl.cli.console import print_info, write_json
from exportctl.schema import ExportObject

if TYPE_CHECKING:
    from exportctl.jobs.plan import Plan


def print_dry_run(planned: Plan, *, json_output: bool, label: str = "", quiet: bool = False) -> None:
    """Every POST the plan would send: `POST endpoint (window)` on standard error, each body on standard output.

    With --json one document instead (`exportctl.jobs.plan.dry_run_document`, what `exportctl.plan` gives).
    With --quiet only the bodies: the lines for a person are left out.
    """
    from exportctl.jobs.plan import dry_run_document, planned_requests

    if json_output:
        write_json(json.dumps(dry_run_document(planned)))
        return
    say = (lambda line: None) if quiet else print_info
    if planned.creates_directory is not None:
        say(f"{label}Would create the directory {planned.creates_directory} (it does not exist yet)")
    typed = dry_run_document(planned) if planned.options.format != "csv" or planned.options.into else {}
    if typed:  # the typed output: its format or table, and the column types known offline
        target = planned.known_target if planned.known_target is not None else planned.options.output
        where = [f"{typed['format']} {'to ' + str(target) if target is not None else ''}".strip()]
        if "into" in typed:
            where = [*where[: 1 if planned.options.output else 0], f"into {planned.options.into}"]
        say(f"{label}Target: {', '.join(where)}")
        if planned.options.into is None:  # for a table, its preview below gives the columns with their SQL types
            say(f"{label}Columns: " + ", ".join(f"{c['name']} {c['type']}" for c in typed["columns"]))
    for sent in planned_requests(planned):
        window = f"  ({sent.window.label()})" if sent.window is not None else ""
        say(f"{label}POST {sent.endpoint}{window}")
        write_json(json.dumps(sent.body, indent=2))
    if planned.options.into is not None and not quiet:
        from exportctl.warehouse.describe import preview_lines, table_preview

        for line in preview_lines(table_preview(planned.request.obj, planned.request.fields, planned.options.into)):
            say(f"{label}{line}")


def _flags(values: dict[str, Any]) -> Any:
    from exportctl.request.option_keys import RequestFlags, flag_options

    # Every option a YAML file can also give; an option not given keeps RequestFlags' "not given".
    return RequestFlags(**{o.name: values[o.name] for o in flag_options() if values.get(o.name) is not None})


def _refuse_json_on_stdout(output: str | None) -> None:
    from exportctl.errors import UsageError
    from exportctl.files.targets import is_standard_output

    if is_standard_output(output):
        raise UsageError(
            "--json and -o - both write to standard output: the JSON would end up after the last CSV row.",
            hint="Write the CSV to a file (-o FILE.csv) to get the JSON summary, or drop --json to stream the CSV.",
        )


def run_export_command(ctx: typer.Context, obj: ExportObject, values: dict[str, Any]) -> None:
    """Validate everything offline, then submit, wait, download and report."""
    from exportctl.errors import UsageError
    from exportctl.request.build import build_request
    from exportctl.request.configfile import load_config

    json_output: bool = values.get("json_output", False)
    document = json_contract.begin(ctx, obj.command, exported_object=obj.exported_object) if json_output else None
    config_path: Path | None = values.get("config")
    config = load_config(config_path) if config_path is not None else None
    flags = _flags(values)
    try:
        request, options = build_request(obj, flags, config, config_path=str(config_path) if config_path else None)
    except UsageError as error:
        if config is None:
            raise
        from exportctl.request.config_problems import every_problem

        # Every problem of the file at once, as `exportctl validate FILE` lists them, not only the first.
        raise every_problem(obj, flags, config, error) from None
    from exportctl.cli.console import print_warning
    from exportctl.request.operators import ignored_conditions

    for note in ignored_conditions(obj, request.filters):
        print_warning(note)
    if values.get("dry_run"):
        from exportctl.jobs import plan as dry_planning

        planned = dry_planning.plan(request, options)  # a target a real run would refuse is refused here too
        app_state(ctx).json_document = None  # --dry-run prints the requests, not a summary
        print_dry_run(planned, json_output=json_output, quiet=app_state(ctx).quiet)
        return
    if document is not None:
        _refuse_json_on_stdout(options.output)

    from exportctl.cli.connect import open_session, say_if_empty
    from exportctl.jobs import plan as planning
    from exportctl.jobs.execute import execute

    planned = planning.plan(request, options)
    with open_session(ctx) as session:
        on_event = session.reporter if document is None else json_contract.tracking(document, session.reporter)
        try:
            outcome = execute(session.client, planned, on_event=on_event)
        finally:
            if document is not None:
                document["api_calls"] = session.client.calls
        if outcome.download is not None and not app_state(ctx).quiet:
            say_if_empty(session, outcome.download.rows, planning.narrowed(planned))
    if document is not None:
        from exportctl.engine.result import from_outcome

        json_contract.emit(ctx, from_outcome(outcome, obj.command).to_dict())  # what exportctl.export() returns
    elif not options.wait:
        # Without --wait the export id is the command's answer, for `ID=$(exportctl voucher --no-wait)`.
        typer.echo(outcome.export_id)
        if not app_state(ctx).quiet:
            print_info(f"Follow it with: exportctl wait {outcome.export_id}")
