"""The root app: global options, error rendering, and the registry of commands."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer._completion_classes import completion_init
from typer.core import TyperGroup

from exportctl import __version__
from exportctl.cli import completion, exports, jobs, run_file, schema_cmd, validate
from exportctl.cli import sandbox as sandbox_cli
from exportctl.cli.completion_sources import complete_profile
from exportctl.cli.state import AppState
from exportctl.errors import ExitCode, ExportctlError

EXIT_CODES_HELP = (
    "Exit codes: 0 done, 1 unexpected, 2 usage or validation, 3 authentication, "
    "4 API rejected the request, 5 export ended in ERROR, 6 timed out waiting, "
    "7 network failure after retries, 8 locked by another run, 130 interrupted."
)


class ExportctlGroup(TyperGroup):
    """Renders every expected error once, on standard error, and exits with its code."""

    def invoke(self, ctx: Any) -> Any:
        from exportctl.cli.console import print_error

        try:
            return super().invoke(ctx)
        except ExportctlError as error:
            print_error(error)
            raise typer.Exit(int(error.exit_code)) from None
        except KeyboardInterrupt:
            from exportctl.cli.console import print_info

            print_info("Interrupted.")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None


# Typer registers its bash/zsh/fish completion classes only when it adds --install-completion itself;
# we generate completion scripts with `exportctl completion SHELL` instead, so register them here.
completion_init()

app = typer.Typer(
    name="exportctl",
    cls=ExportctlGroup,
    help="Export Voucherify data as CSV files.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    rich_markup_mode="markdown",
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"exportctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option(
            help="Profile of the config file to read credentials from (else EXPORTCTL_PROFILE).",
            autocompletion=complete_profile,
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(help="API cluster: eu (default), us1 or as1.", metavar="eu|us1|as1"),
    ] = None,
    api_url: Annotated[
        str | None,
        typer.Option(help="Full API base URL, for dedicated clusters (else VOUCHERIFY_API_BASE_URL)."),
    ] = None,
    app_id: Annotated[
        str | None, typer.Option("--app-id", help="Application ID (else VOUCHERIFY_APP_ID or the profile).")
    ] = None,
    app_token: Annotated[
        str | None,
        typer.Option("--app-token", help="Secret key (else VOUCHERIFY_APP_TOKEN or the profile).", show_default=False),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every HTTP call (secrets masked).")] = False,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Run against an embedded sandbox started for this command.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Export Voucherify data as CSV files."""
    ctx.obj = AppState(
        profile=profile,
        region=region,
        api_url=api_url,
        app_id=app_id,
        app_token=app_token,
        quiet=quiet,
        verbose=verbose,
        sandbox=sandbox,
    )


exports.register(app)
jobs.register(app)
app.command("run", rich_help_panel="Export")(run_file.run_file)
app.command("validate", rich_help_panel="Export")(validate.validate)
app.command("schema", rich_help_panel="Reference")(schema_cmd.schema)
app.command("completion", rich_help_panel="Reference")(completion.completion)
app.command(
    "sandbox",
    help="Serve a local Voucherify-compatible export API with generated data.",
    rich_help_panel="Reference",
)(sandbox_cli.sandbox)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="exportctl")
