"""The body shared by every export subcommand: flags -> ExportRequest -> plan -> execute -> summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from exportctl.cli.console import print_info, write_json
from exportctl.cli.state import app_state
from exportctl.schema import ExportObject

if TYPE_CHECKING:
    from exportctl.jobs.plan import Plan


def print_dry_run(planned: Plan, *, json_output: bool, label: str = "") -> None:
    """Every POST the plan would send: `POST endpoint [window]` on standard error, each body on standard output.

    With --json one document instead (`exportctl.jobs.plan.dry_run_document`, what `exportctl.plan` gives).
    """
    from exportctl.jobs.plan import dry_run_document, planned_requests

    if json_output:
        write_json(json.dumps(dry_run_document(planned)))
        return
    for sent in planned_requests(planned):
        window = f"  ({sent.window.label()})" if sent.window is not None else ""
        print_info(f"{label}POST {sent.endpoint}{window}")
        write_json(json.dumps(sent.body, indent=2))


def _flags(values: dict[str, Any]) -> Any:
    from exportctl.request.model import OPTIONS, RequestFlags

    # Every option a YAML file can also give; an option not given keeps RequestFlags' "not given".
    given = {o.name: values[o.name] for o in OPTIONS if o.key is not None and values.get(o.name) is not None}
    return RequestFlags(**given)


def run_export_command(ctx: typer.Context, obj: ExportObject, values: dict[str, Any]) -> None:
    """Validate everything offline, then submit, wait, download and report."""
    from exportctl.request.build import build_request
    from exportctl.request.configfile import load_config

    config_path: Path | None = values.get("config")
    config = load_config(config_path) if config_path is not None else None
    request, options = build_request(obj, _flags(values), config, config_path=str(config_path) if config_path else None)
    from exportctl.jobs import plan as planning

    planned = planning.plan(request, options)
    json_output: bool = values.get("json_output", False)
    if values.get("dry_run"):
        print_dry_run(planned, json_output=json_output)
        return

    from exportctl.cli.session import open_session

    with open_session(ctx) as session:
        outcome = planning.execute(session.client, planned, on_event=session.reporter)
    if json_output:
        write_json(json.dumps(outcome.summary()))
    elif not options.wait:
        # Without --wait the export id is the command's answer, for `ID=$(exportctl voucher --no-wait)`.
        typer.echo(outcome.export_id)
        if not app_state(ctx).quiet:
            print_info(f"Follow it with: exportctl wait {outcome.export_id}")
