"""One export from a validated request to a saved file, in two steps: plan offline, then execute.

`plan` does every check that needs no network (target template, directory, existing file), so that a
command fails before credentials are read or an export is created for nothing. `execute` runs the
plan against the API. The export subcommands and `exportctl run` both go through here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from exportctl.events import EventHandler, ignore_event
from exportctl.output import Target, preflight_target, resolve_target
from exportctl.request import ExportRequest, RunOptions

if TYPE_CHECKING:
    # job and client import requests; keep them out of start-up.
    from exportctl.client import ApiClient
    from exportctl.job import ExportOutcome


@dataclass(frozen=True)
class Plan:
    """A request and how to run it, checked offline."""

    request: ExportRequest
    options: RunOptions
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    known_target: Target | None = None  # None when the name needs the export id

    def target_for(self, export_id: str) -> Target:
        """The target once the export id is known."""
        if self.known_target is not None:
            return self.known_target
        return resolve_target(
            self.options.output,
            command=self.request.obj.command,
            export_id=export_id,
            output_dir=self.options.output_dir,
            now=self.now,
        )


def plan(request: ExportRequest, options: RunOptions, *, now: datetime | None = None) -> Plan:
    """Check the target offline; UsageError for a bad template, a missing directory or an existing file."""
    moment = now or datetime.now(timezone.utc)
    known = preflight_target(
        options.output,
        command=request.obj.command,
        output_dir=options.output_dir,
        now=moment,
        force=options.force,
    )
    return Plan(request=request, options=options, now=moment, known_target=known)


def execute(client: ApiClient, planned: Plan, *, on_event: EventHandler = ignore_event) -> ExportOutcome:
    """Submit, wait (unless the plan says not to) and download."""
    from exportctl import job

    target: Target | Callable[[str], Target] = (
        planned.known_target if planned.known_target is not None else planned.target_for
    )
    return job.run_export(
        client,
        planned.request,
        target,
        wait=planned.options.wait,
        timeout=planned.options.timeout,
        on_event=on_event,
        force=planned.options.force,
    )
