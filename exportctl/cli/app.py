"""The root app: global options, error rendering, and the registry of commands."""

# No `from __future__ import annotations` here: Typer reads the root callback's `Annotated` options on every
# run, and string annotations would be compiled and evaluated each time (about a millisecond of start-up).

import gc
import importlib
from collections.abc import Callable, Sequence
from functools import cache
from typing import Annotated, Any, NamedTuple, NoReturn

import typer

from exportctl.cli.completion_sources import complete_profile, complete_region
from exportctl.cli.global_options import GlobalOptionsCommand, add_global_options
from exportctl.cli.typer_internals import (
    TyperGroup,
    click_usage_error,
    is_no_args_help,
    register_completion_classes,
)
from exportctl.errors import ExitCode, ExportctlError
from exportctl.schema import BY_COMMAND, EXPORT_OBJECTS
from exportctl.version import __version__

EXIT_CODES_HELP = (
    "Exit codes: 0 done, 1 unexpected, 2 usage or validation, "
    "3 authentication (or another cluster's credentials), "
    "4 API rejected the request (or a plan or billing-cycle quota is spent), "
    "5 export ended in ERROR, 6 timed out waiting, "
    "7 network failure after retries, 8 locked by another run, 9 a value did not fit its type "
    "(--unparsed fail), 130 interrupted (Ctrl-C), "
    "143 SIGTERM, 129 SIGHUP, 141 the output's reader closed it (| head)."
)

# `\b` keeps click from re-wrapping the lines: each example is a command to paste.
EXAMPLES_HELP = (
    "Examples:\n\n\b\n"
    "  exportctl --sandbox voucher -o vouchers.csv --force    # try it without an account\n"
    "  exportctl login                                        # save credentials as a profile\n"
    "  exportctl order --filter status=PAID --since -7d -o paid.csv\n"
    "  exportctl voucher --format jsonl -o - | head -3        # stream to standard output\n"
    "  exportctl run sample-configs/nightly.yaml              # several exports from one file\n"
    "  exportctl schema voucher                               # fields, orders and filters\n"
    "  exportctl OBJECT --help                                # every option of a command"
)


class CommandSpec(NamedTuple):
    """A subcommand, known by name and short help at start-up, built only when it is used.

    A NamedTuple, not a dataclass: creating a dataclass costs a third of a millisecond at every start.
    """

    short_help: str
    load: Callable[[], Any]  # imports the command's module, returns its function (or Typer group)
    epilog: Callable[[], str] | None = None
    own_globals: tuple[str, ...] = ()  # root options listed under the command's own "Options" (see global_options)


def _function(module: str, name: str) -> Callable[[], Callable[..., Any]]:
    def load() -> Callable[..., Any]:
        function: Callable[..., Any] = getattr(importlib.import_module(module), name)
        return function

    return load


def _export_command(command: str) -> Callable[[], Callable[..., Any]]:
    def load() -> Callable[..., Any]:
        from exportctl.cli.exports import make_export_command

        return make_export_command(BY_COMMAND[command])

    return load


def _filter_epilog() -> str:
    from exportctl.cli.exports import FILTER_EPILOG

    return FILTER_EPILOG


# The registry of subcommands, in the order `--help` lists them. Building Typer commands costs about
# a millisecond each and importing their modules more, so a run pays only for the command it runs.
COMMANDS: dict[str, CommandSpec] = {
    **{obj.command: CommandSpec(obj.summary, _export_command(obj.command), _filter_epilog) for obj in EXPORT_OBJECTS},
    "run": CommandSpec(
        "Run every export of a multi-export YAML file.", _function("exportctl.cli.run_file", "run_file")
    ),
    "validate": CommandSpec(
        "Check config files offline, reporting every problem.", _function("exportctl.cli.validate", "validate")
    ),
    "list": CommandSpec("List exports, newest first.", _function("exportctl.cli.existing", "list_exports")),
    "status": CommandSpec(
        "Show one export: object, status, parameters.", _function("exportctl.cli.existing", "status")
    ),
    "wait": CommandSpec("Wait until an export is DONE or ERROR.", _function("exportctl.cli.existing", "wait")),
    "download": CommandSpec("Download the CSV of a DONE export.", _function("exportctl.cli.existing", "download")),
    "delete": CommandSpec("Delete an export and its file.", _function("exportctl.cli.existing", "delete")),
    "schema": CommandSpec(
        "Show the fields, orders and filters of an object.", _function("exportctl.cli.schema_cmd", "schema")
    ),
    "login": CommandSpec(
        "Save credentials as a profile, after checking them.",
        _function("exportctl.cli.login", "login"),
        own_globals=("profile", "region", "api_url", "app_id", "app_token"),
    ),
    "auth": CommandSpec(
        "Show the profiles and the credentials in use; remove a profile.", _function("exportctl.cli.auth", "auth_app")
    ),
    "doctor": CommandSpec(
        "Check credentials, endpoint, rate limit, clock and hosts.", _function("exportctl.cli.login", "doctor")
    ),
    "completion": CommandSpec(
        "Print the TAB-completion script for bash, zsh or fish.", _function("exportctl.cli.completion", "completion")
    ),
    "sandbox": CommandSpec(
        "Serve a local Voucherify-compatible export API.", _function("exportctl.cli.sandbox", "sandbox")
    ),
}


@cache
def build_command(name: str) -> Any:
    """The click command of one registered subcommand, built from its Typer function."""
    spec = COMMANDS[name]
    loaded = spec.load()
    if isinstance(loaded, typer.Typer):  # a group of subcommands (auth status, auth logout)
        return typer.main.get_command(loaded)
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    epilog = spec.epilog() if spec.epilog is not None else None
    single.command(name, cls=GlobalOptionsCommand, short_help=spec.short_help, epilog=epilog)(loaded)
    command: Any = typer.main.get_command(single)
    command.own_globals = spec.own_globals
    return command


class ExportctlGroup(TyperGroup):
    """Loads subcommands lazily, and renders every expected error once with its exit code."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        return add_global_options(build_command(cmd_name), self.params)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # From the registry, so that listing the commands does not build them all.
        with formatter.section("Commands"):
            formatter.write_dl([(name, spec.short_help) for name, spec in COMMANDS.items()])

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        from exportctl.suggest import closest

        try:
            return super().resolve_command(ctx, args)
        except click_usage_error() as error:
            match = closest(args[0], COMMANDS) if args else None
            if match and "Did you mean" not in error.message:
                error.message = f"{error.message.rstrip('.')}. Did you mean {match!r}?"
            raise

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        argv = list(args)
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except click_usage_error() as error:
            if parent is None and is_no_args_help(error):
                # A bare `exportctl` asks what it can do: the help, with examples, is the answer (exit 0).
                typer.echo(error.ctx.get_help() if error.ctx is not None else "")
                raise typer.Exit(0) from None
            _render_usage_error(error, argv=argv)
        ctx.meta[ARGV_KEY] = argv  # a usage error met later (a subcommand's flags) looks for --json here
        return ctx

    def invoke(self, ctx: Any) -> Any:
        from exportctl.cli.console import print_error
        from exportctl.cli.json_contract import emit_failure, json_pending

        received = _stop_on_signals()
        from exportctl.cli.signals import RECEIVED_KEY

        ctx.meta[RECEIVED_KEY] = received  # `run` records its stop signals here (cli/signals.py)
        try:
            return super().invoke(ctx)
        except click_usage_error() as error:
            # A bad option of a subcommand may carry the root's context; the help to see is the subcommand's.
            sub = ctx.invoked_subcommand if error.ctx is None or error.ctx is ctx else None
            _render_usage_error(
                error, f"{ctx.command_path} {sub}" if sub else None, ctx=ctx, argv=ctx.meta.get(ARGV_KEY, ())
            )
        except typer.Exit as done:
            # `run` ends with the worst exit code of its exports: 130 after a stop signal is 128 + N too.
            raise typer.Exit(_signal_exit(received, done.exit_code)) from None
        except ExportctlError as error:
            code = _signal_exit(received, int(error.exit_code))
            if json_pending(ctx) or code != int(ExitCode.USAGE):
                emit_failure(ctx, error, exit_code=code, interrupted=_interruption(received, error.exit_code))
            else:
                # A value the command refused before it began a --json document of its own (`schema --json
                # --format xml`): the usage error's document, as for a value the parser refuses.
                from exportctl.cli.json_contract import emit_usage_failure

                argv = ctx.meta.get(ARGV_KEY, ())
                emit_usage_failure(argv, _command_of(ctx, argv), error)
            print_error(error)
            raise typer.Exit(code) from None
        except BrokenPipeError:
            # `exportctl voucher -o - | head`, or a FIFO whose reader quit: the reader has what it wanted, so
            # end quietly as `cat` and `gh` do, with the status a shell shows for them (141: 128 + SIGPIPE).
            # The export stays on the server; a --json document that goes elsewhere says so.
            from exportctl.cli.pipes import PIPE_CLOSED, emit_pipe_closed, silence_stdout

            emit_pipe_closed(ctx)
            silence_stdout()
            raise typer.Exit(PIPE_CLOSED) from None
        except (KeyboardInterrupt, typer.Abort):
            # Prompts (login) turn Ctrl-C into typer.Abort; it is the same interruption as anywhere else.
            from exportctl.cli.console import print_info

            code = _signal_exit(received, int(ExitCode.INTERRUPTED))
            emit_failure(ctx, None, exit_code=code, interrupted=_interruption(received, ExitCode.INTERRUPTED))
            print_info("Interrupted.")
            raise typer.Exit(code) from None


# What systemd, cron wrappers and CI runners send to stop a job. They get the Ctrl-C treatment (the
# domain's KeyboardInterrupt handling keeps partial data, releases locks and says how to resume), and the
# exit status a shell reports for them: 128 + the signal's number (143 for SIGTERM, 129 for SIGHUP).
STOP_SIGNALS = ("SIGTERM", "SIGHUP")


def _stop_on_signals() -> list[int]:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt in the main thread; the list fills with what arrived."""
    import signal
    import threading

    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        return received

    def stop(signum: int, frame: object) -> None:
        received.append(signum)
        if len(received) == 1:
            raise KeyboardInterrupt

    for name in STOP_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, stop)
    return received


def _interruption(received: list[int], code: int) -> str | None:
    """What the `--json` document's `interrupted` says: the signal that stopped the command, else None."""
    if code != int(ExitCode.INTERRUPTED):
        return None
    if not received:
        return "SIGINT"
    import signal

    return signal.Signals(received[0]).name


def _signal_exit(received: list[int], code: int) -> int:
    """The exit status: 128 + the stop signal when one ended the run, else `code`."""
    if received and code == int(ExitCode.INTERRUPTED):
        return 128 + received[0]
    return code


def _render_usage_error(
    error: Any, command: str | None = None, *, ctx: Any = None, argv: Sequence[str] = ()
) -> NoReturn:
    """A bad flag or argument in exportctl's one error style (`error:` line, then the hint), exit 2.

    Click's own block (Usage:, Try, Error:) looked unlike every other error; a bare `exportctl` or
    `exportctl run` still shows the help, which is what click's no-arguments error prints. With `--json`
    anywhere on the line (`argv`), the JSON contract's document too, as for every other failure.
    """
    if is_no_args_help(error):
        raise error
    from exportctl.cli import json_contract
    from exportctl.cli.console import print_error
    from exportctl.errors import UsageError

    command = command or (error.ctx.command_path if error.ctx is not None else "exportctl")
    usage = UsageError(error.format_message(), hint=f"See '{command} --help' for the options.")
    if ctx is not None and json_contract.json_pending(
        ctx
    ):  # a bad value met inside a command that has begun its --json document
        json_contract.emit_failure(ctx, usage, exit_code=int(ExitCode.USAGE))
    else:
        json_contract.emit_usage_failure(argv, _command_of(ctx, argv), usage)
    print_error(usage)
    raise typer.Exit(int(ExitCode.USAGE))


ARGV_KEY = "exportctl.argv"  # ctx.meta: the command line the root group parsed


def _command_of(ctx: Any, argv: Sequence[str]) -> str | None:
    """The subcommand a usage error belongs to: the one invoked, else the first word that names one."""
    invoked = getattr(ctx, "invoked_subcommand", None) if ctx is not None else None
    if invoked in COMMANDS:
        return str(invoked)
    return next((word for word in argv if word in COMMANDS), None)


# Typer registers its bash/zsh/fish completion classes only when it adds --install-completion itself;
# we generate completion scripts with `exportctl completion SHELL` instead, so register them here.
register_completion_classes()

app = typer.Typer(
    name="exportctl",
    cls=ExportctlGroup,
    help="Export Voucherify data as CSV files.",
    epilog=f"{EXAMPLES_HELP}\n\n{EXIT_CODES_HELP}",
    no_args_is_help=True,
    rich_markup_mode=None,
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
        typer.Option(
            help="API cluster: eu (default), us1 or as1.", metavar="eu|us1|as1", autocompletion=complete_region
        ),
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
    from exportctl.cli.app_state import AppState  # not loaded for --help and TAB completion, which never get here

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


def main() -> None:
    """Console-script entry point (and `python -m exportctl`'s)."""
    # What start-up imported (Typer, the command table, ...) lives until the process ends: frozen, it is
    # skipped by every later collection and by the one at exit, which otherwise walks all of it (most of
    # what `--help` cost beyond `import typer`). Objects made from here on are collected as usual.
    gc.freeze()
    from exportctl.cli import signals

    signals.process_owned = True
    app(prog_name="exportctl")
