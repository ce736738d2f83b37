"""`exportctl auth status` (which credentials a command would use, and from where) and `exportctl auth logout`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from exportctl.cli import options
from exportctl.cli.app_state import app_state
from exportctl.cli.completion_sources import complete_profile
from exportctl.cli.global_options import GlobalOptionsCommand, GlobalOptionsGroup

if TYPE_CHECKING:
    from exportctl.jobs.auth_status import CredentialReport

auth_app = typer.Typer(
    name="auth",
    cls=GlobalOptionsGroup,
    help="See which profiles exist and which credentials are in use; remove a profile.",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@auth_app.command("status", cls=GlobalOptionsCommand)
def status(ctx: typer.Context, json_output: options.JsonOutput = False) -> None:
    """Show the profiles, the one in use, and where each value comes from (flag, environment, profile file).

    Secret keys are masked. Nothing is sent to the API (exportctl doctor checks the credentials work).
    Exit status 0 when a command would find an application ID and a secret key, 3 otherwise.
    Example: exportctl auth status --json
    """
    from exportctl.cli.console import write_json
    from exportctl.errors import AuthError
    from exportctl.jobs.auth_status import credential_report

    state = app_state(ctx)
    report = credential_report(
        app_id=state.app_id,
        app_token=state.app_token,
        api_url=state.api_url,
        region=state.region,
        profile=state.profile,
    )
    if json_output:
        import json

        write_json(json.dumps(report.to_json()))
    if not state.quiet:
        _print_report(report)
    if not report.usable:
        raise AuthError(
            "No usable credentials: " + "; ".join(report.problems) + ".",
            hint="Save a profile with: exportctl login (in a script: exportctl login --with-token < key.txt)",
        )


def _print_report(report: CredentialReport) -> None:
    from exportctl.cli.console import print_info

    if not report.file_exists:
        print_info(f"Profile file: none at {report.config_path}")
    else:
        print_info(f"Profile file: {report.config_path}")
        if not report.profiles:
            print_info("  (no profiles)")
        width = max((len(name) for name in report.profiles), default=0)
        for name, values in sorted(report.profiles.items()):
            in_use = name == report.profile.value
            marks = [mark for mark, on in (("default", name == report.default_profile), ("in use", in_use)) if on]
            where = values.get("api_url") or f"region {values.get('region', 'eu')}"
            line = f"  {'*' if in_use else ' '} {name.ljust(width)}  app id {values.get('app_id', '(none)')}"
            line += f"  secret {values.get('app_token', '(none)')}  {where}"
            print_info(line + (f"  ({', '.join(marks)})" if marks else ""))
    print_info("In use:")
    rows = (
        ("profile", report.profile),
        ("application ID", report.app_id),
        ("secret key", report.app_token),
        ("API URL", report.api_url),
    )
    for label, value in rows:
        shown = value.value if value.value is not None else "(none)"
        source = f"  from {value.source}" if value.source else ""
        print_info(f"  {label.ljust(14)}  {shown}{source}")


@auth_app.command("logout", cls=GlobalOptionsCommand)
def logout(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="The profile to remove (default: the one in use).",
            metavar="NAME",
            autocompletion=complete_profile,
        ),
    ] = None,
) -> None:
    """Remove a profile from the profile file (under its lock; the other profiles stay).

    Without --profile: the profile EXPORTCTL_PROFILE names, else the default profile.
    Example: exportctl auth logout --profile staging
    """
    import os

    from exportctl.cli.console import print_info
    from exportctl.errors import UsageError
    from exportctl.files.profiles import remove_profile
    from exportctl.settings import ENV_PROFILE, default_config_path, read_profiles

    state = app_state(ctx)
    path = default_config_path()
    name = profile or state.profile or os.environ.get(ENV_PROFILE) or None
    if name is None:
        loaded = read_profiles(path)
        if loaded is None:
            raise UsageError(f"There is no profile file at {path}: there is nothing to log out of.")
        name = loaded[0]
        if name is None:
            raise UsageError(
                f"{path} names no default profile; say which one to remove.",
                hint=f"exportctl auth logout --profile NAME (profiles: {', '.join(sorted(loaded[1])) or 'none'})",
            )
    was_default, left = remove_profile(path, name)
    print_info(f"Removed profile '{name}' from {path}.")
    if was_default and left:
        print_info(
            f"It was the default profile; name one for each command (exportctl --profile {left[0]} ...) "
            f"or set default_profile in {path}. Profiles left: {', '.join(left)}."
        )
