"""`exportctl login` (ask for credentials, check them, save a profile) and `exportctl doctor` (check everything)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from exportctl.cli.console import print_info
from exportctl.cli.state import app_state
from exportctl.errors import AuthError, NetworkError, UsageError, WrongClusterError


def login(ctx: typer.Context) -> None:
    """Ask for the application id and secret key, check them with one API call, save them as a profile (mode 0600).

    The profile is 'default' unless --profile names another; --region or --api-url is saved with it.
    Example: exportctl login --profile production --region us1
    """
    from exportctl.client.probe import lasting_refusal, probe_api
    from exportctl.client.refusals import option_for
    from exportctl.files.profiles import save_profile
    from exportctl.masking import mask_userinfo
    from exportctl.settings import REGIONS, check_credential, default_config_path, resolve_settings

    state = app_state(ctx)
    name = state.profile or "default"
    region, api_url = state.region, state.api_url
    # Checked before asking anything: a typo in --region must not cost the user their typing.
    base = resolve_settings(app_id="-", app_token="-", region=region, api_url=api_url, environ={}).base_url
    shown = mask_userinfo(base)  # a password in --api-url is never printed
    if not sys.stdin.isatty() and not (state.app_id and state.app_token):
        raise UsageError(
            "exportctl login asks for the credentials on a terminal, and standard input is not one.",
            hint="In a script, give them with: exportctl login --app-id ID --app-token KEY; "
            "or set VOUCHERIFY_APP_ID and VOUCHERIFY_APP_TOKEN instead of saving a profile.",
        )
    app_id = state.app_id or typer.prompt("Application ID", err=True).strip()
    if not state.app_id:
        check_credential(app_id, "application ID", "the prompt")
    secret = state.app_token or typer.prompt("Secret key", hide_input=True, err=True).strip()
    if not state.app_token:
        check_credential(secret, "secret key", "the prompt")
    if not app_id or not secret:
        raise UsageError("Both the application ID and the secret key are needed.")
    settings = resolve_settings(app_id=app_id, app_token=secret, region=region, api_url=api_url, environ={})
    answer = probe_api(settings)
    refusal = lasting_refusal(answer, settings)
    if refusal is not None:
        refusal.message += " Nothing was saved."
        if isinstance(refusal, WrongClusterError):
            again = "exportctl login" + (f" --profile {name}" if state.profile else "")
            option = option_for(refusal.right_url) if refusal.right_url else f"--region {'|'.join(REGIONS)}"
            refusal.hint = f"Run login again on the project's cluster: {again} {option}"
        raise refusal
    if answer.status in (401, 403):
        raise AuthError(
            f"{shown} refused these credentials ({answer.status}); nothing was saved.",
            hint="Copy both from the Voucherify dashboard (Project settings > Application keys) and run login again.",
        )
    if answer.status != 200:
        why = answer.problem or f"GET /v1/exports answered {answer.status}"
        raise NetworkError(f"Could not check the credentials against {shown}: {why}; nothing was saved.")
    values = {"app_id": app_id, "app_token": secret}
    if api_url:
        values["api_url"] = settings.base_url
    elif region:
        values["region"] = region
    path = default_config_path()
    became_default = save_profile(path, name, values)
    default = " (the default profile)" if became_default else f"; use it with: exportctl --profile {name} ..."
    print_info(f"Credentials work. Saved profile '{name}' to {path} (mode 0600){default}")


def doctor(
    ctx: typer.Context,
    download_url: Annotated[
        str | None,
        typer.Option(help="Download host to check (default: the region's, or the API host).", metavar="URL"),
    ] = None,
) -> None:
    """Check credentials, endpoint, rate-limit budget, clock, profile file and download host.

    Each line is ok, warn or fail with its fix; the exit status is 0 only when every line is ok.
    """
    from exportctl.cli.console import err_console
    from exportctl.cli.session import resolve_state_settings
    from exportctl.jobs.doctor import all_ok, run_checks
    from exportctl.settings import default_config_path

    with resolve_state_settings(ctx) as (resolve, _):
        checks = run_checks(resolve, config_path=default_config_path(), download_url=download_url)
    width = max(len(check.name) for check in checks)
    marks = {"ok": "[green]ok  [/]", "warn": "[yellow]warn[/]", "fail": "[bold red]fail[/]"}
    from rich.markup import escape

    console = err_console()
    for check in checks:
        console.print(f"{marks[check.level]} {check.name.ljust(width)}  {escape(check.detail)}")
        if check.fix and check.level != "ok":
            console.print(f"     {' ' * width}  fix: {escape(check.fix)}")
    if not all_ok(checks):
        raise typer.Exit(1)
