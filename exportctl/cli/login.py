"""`exportctl login` (ask for credentials, check them, save a profile) and `exportctl doctor` (check everything)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Annotated

import typer

from exportctl.cli.app_state import app_state
from exportctl.cli.console import print_info
from exportctl.errors import AuthError, NetworkError, UsageError, WrongClusterError

# A secret key is a few dozen characters; standard input is read up to this bound, never to its end.
MAX_TOKEN_INPUT = 4096


def login(
    ctx: typer.Context,
    with_token: Annotated[
        bool,
        typer.Option(
            "--with-token",
            help="Read the secret key from standard input (exportctl login --app-id ID --with-token < key.txt).",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing profile of that name without asking.")
    ] = False,
) -> None:
    """Check the application id and secret key with one API call, then save them as a profile (mode 0600).

    On a terminal it asks for what is not given. In a script: the secret key from standard input
    (--with-token) or VOUCHERIFY_APP_TOKEN, the application id from --app-id or VOUCHERIFY_APP_ID; it is
    never needed on the command line. The profile is 'default' unless --profile names another; --region or
    --api-url (else VOUCHERIFY_API_BASE_URL) is saved with it. An existing profile is replaced only with
    --force or a yes at the terminal's prompt.

    Example: exportctl login --profile production --region us1

    Example: exportctl login --app-id "$APP_ID" --with-token < key.txt
    """
    import os

    from exportctl.client.probe import lasting_refusal, probe_api
    from exportctl.client.refusals import option_for
    from exportctl.files.profiles import ProfileExistsError, existing_profile, save_profile
    from exportctl.masking import mask_userinfo
    from exportctl.settings import (
        ENV_API_URL,
        ENV_APP_ID,
        ENV_APP_TOKEN,
        ENV_SECRET_KEY,
        REGIONS,
        check_credential,
        default_config_path,
        resolve_settings,
    )

    state = app_state(ctx)
    name = state.profile or "default"
    region = state.region
    api_url = state.api_url or (None if region else os.environ.get(ENV_API_URL) or None)
    # Checked before asking anything: a typo in --region must not cost the user their typing.
    base = resolve_settings(app_id="-", app_token="-", region=region, api_url=api_url, environ={}).base_url
    shown = mask_userinfo(base)  # a password in --api-url is never printed
    interactive = sys.stdin is not None and sys.stdin.isatty() and not with_token
    if with_token and state.app_token:
        raise UsageError(
            "Give the secret key one way: --with-token reads it from standard input, --app-token from the arguments."
        )
    secret, secret_source = _given_secret(with_token, state.app_token, os.environ, ENV_APP_TOKEN, ENV_SECRET_KEY)
    app_id, id_source = (state.app_id, "--app-id") if state.app_id else (os.environ.get(ENV_APP_ID), ENV_APP_ID)
    if not interactive and not (app_id and secret):
        if with_token:
            raise UsageError(
                "exportctl login --with-token reads the secret key from standard input; "
                "the application ID must come from --app-id or VOUCHERIFY_APP_ID.",
                hint="exportctl login --app-id ID --with-token < key.txt",
            )
        raise UsageError(
            "exportctl login asks for the credentials on a terminal, and standard input is not one.",
            hint="In a script, pipe the secret key: exportctl login --app-id ID --with-token < key.txt; "
            "or set VOUCHERIFY_APP_ID and VOUCHERIFY_APP_TOKEN (login saves them; other commands read them directly).",
        )
    path = default_config_path()
    replace = force
    existed = existing_profile(path, name) is not None  # also reads a broken file now, before any typing
    if existed and not force:
        if not interactive:
            raise ProfileExistsError(
                f"Profile '{name}' already exists in {path}; nothing was saved.",
                hint=f"Replace it with: exportctl login --profile {name} --force (or run login at a terminal)",
            )
        if not typer.confirm(f"Profile '{name}' already exists in {path}. Replace it?", default=False, err=True):
            print_info(f"Kept profile '{name}' as it was; nothing was saved.")
            raise typer.Exit(1)
        replace = True
    if not app_id:
        app_id, id_source = typer.prompt("Application ID", err=True).strip(), "the prompt"
    check_credential(app_id, "application ID", id_source)
    if not secret:
        secret, secret_source = typer.prompt("Secret key", hide_input=True, err=True).strip(), "the prompt"
    check_credential(secret, "secret key", secret_source)
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
    became_default = save_profile(path, name, values, replace=replace)
    default = " (the default profile)" if became_default else f"; use it with: exportctl --profile {name} ..."
    replaced = " (replacing the one there was)" if existed else ""
    print_info(f"Credentials work. Saved profile '{name}' to {path} (mode 0600){replaced}{default}")


def _given_secret(
    with_token: bool, flag: str | None, environ: Mapping[str, str], *names: str
) -> tuple[str | None, str]:
    """The secret key given without a prompt, and where from: standard input, --app-token or the environment."""
    if with_token:
        return _read_token_from_stdin(), "standard input"
    if flag:
        return flag, "--app-token"
    for name in names:
        if environ.get(name):
            return environ[name], name
    return None, ""


def _read_token_from_stdin() -> str:
    """The secret key on standard input (surrounding whitespace and the final newline dropped), read bounded."""
    stream = sys.stdin
    if stream is None:
        raise UsageError("--with-token reads the secret key from standard input, and there is none.")
    if stream.isatty():
        raise UsageError(
            "--with-token reads the secret key from standard input, and standard input is a terminal "
            "(the key would be echoed as you type).",
            hint="Pipe it from a file: exportctl login --with-token < key.txt; or run login without "
            "--with-token to be asked for it with the input hidden.",
        )
    raw = stream.buffer.read(MAX_TOKEN_INPUT + 1) if hasattr(stream, "buffer") else stream.read().encode()
    if len(raw) > MAX_TOKEN_INPUT:
        raise UsageError(
            f"Standard input holds more than {MAX_TOKEN_INPUT} bytes: --with-token expects the secret key alone."
        )
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise AuthError(
            "The secret key from standard input is not UTF-8 text; nothing was sent.",
            hint="Copy the secret key again from the Voucherify dashboard (Project settings > Application keys).",
        ) from None
    if not text:
        raise UsageError(
            "Standard input was empty: --with-token expects the secret key there.",
            hint="exportctl login --app-id ID --with-token < key.txt",
        )
    return text


def doctor(
    ctx: typer.Context,
    download_url: Annotated[
        str | None,
        typer.Option(help="Download host to check (default: the region's, or the API host).", metavar="URL"),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Also print the checks as one JSON object on standard output."),
    ] = False,
    bucket: Annotated[
        str | None,
        typer.Option(help="Also check write access to a bucket (s3://, gs://, az://BUCKET/PREFIX).", metavar="URL"),
    ] = None,
) -> None:
    """Check credentials, endpoint, rate-limit budget, clock, profile file and download host (and a bucket).

    Each line is ok, warn or fail with its fix (skip: not checkable, as the clock without an answer from the
    API); the exit status is 0 only when no line is warn or fail. The lines go to standard error; --json
    prints the checks as one JSON object on standard output.
    Example: exportctl doctor --json | jq '.checks[] | select(.level != "ok")'
    """
    from exportctl.cli import json_contract
    from exportctl.cli.connect import resolve_state_settings
    from exportctl.cli.console import err_console
    from exportctl.jobs.doctor import all_ok, run_checks
    from exportctl.settings import default_config_path

    document = json_contract.begin(ctx, "doctor") if json_output else None
    with resolve_state_settings(ctx) as (resolve, _):
        checks = run_checks(resolve, config_path=default_config_path(), download_url=download_url, bucket=bucket)
    ok = all_ok(checks)
    if document is not None:
        document |= {"exit_code": 0 if ok else 1, "ok": ok, "checks": [check.to_json() for check in checks]}
        json_contract.emit(ctx, document)
    width = max(len(check.name) for check in checks)
    marks = {"ok": "[green]ok  [/]", "warn": "[yellow]warn[/]", "fail": "[bold red]fail[/]", "skip": "[dim]skip[/]"}
    from rich.markup import escape

    console = err_console()
    for check in checks:
        console.print(f"{marks[check.level]} {check.name.ljust(width)}  {escape(check.detail)}")
        if check.fix and check.level != "ok":
            console.print(f"     {' ' * width}  fix: {escape(check.fix)}")
    if not ok:
        raise typer.Exit(1)
