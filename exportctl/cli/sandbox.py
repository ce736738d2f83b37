"""`exportctl sandbox`: serve the local Voucherify-compatible export API until Ctrl-C or SIGTERM."""

from __future__ import annotations

import errno
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

SERVER = "Server"
DATA = "Data"
CREDENTIALS = "Credentials"
TIMING = "Export timing"
FAULTS = "Fault injection"


def sandbox(
    host: Annotated[
        str, typer.Option(help="Interface to bind; anything but loopback exposes the sandbox.", rich_help_panel=SERVER)
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.", rich_help_panel=SERVER)] = 8765,
    seed: Annotated[
        int, typer.Option(help="Seed of the data generator: same seed, same data.", rich_help_panel=DATA)
    ] = 42,
    scale: Annotated[
        float,
        typer.Option(
            help="Size of the data: 1 is ~10k vouchers and ~2k customers; 100 is ~1M vouchers.", rich_help_panel=DATA
        ),
    ] = 1.0,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Generated history ends at the start of this day (UTC); default: today.",
            rich_help_panel=DATA,
        ),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="SQLite file to keep the data in: reused when seed, scale and --as-of match, rebuilt when the sandbox "
            "made it, refused otherwise; a temporary one otherwise.",
            rich_help_panel=DATA,
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Directory for the export files; a temporary one otherwise.", rich_help_panel=DATA),
    ] = None,
    app_id: Annotated[
        str | None,
        typer.Option("--app-id", help="Application ID to accept (generated otherwise).", rich_help_panel=CREDENTIALS),
    ] = None,
    secret_key: Annotated[
        str | None,
        typer.Option("--secret-key", help="Secret key to accept (generated otherwise).", rich_help_panel=CREDENTIALS),
    ] = None,
    rate_limit: Annotated[
        str | None,
        typer.Option(
            help="Enforce an API limit such as 100/h, 100/min or 10/30s (429 when exceeded).", rich_help_panel=SERVER
        ),
    ] = None,
    scheduled: Annotated[
        str, typer.Option(help="How long an export stays SCHEDULED (90s, 500ms, ...).", rich_help_panel=TIMING)
    ] = "1.5s",
    in_progress: Annotated[
        str,
        typer.Option(help="Least time an export stays IN_PROGRESS, plus --per-thousand-rows.", rich_help_panel=TIMING),
    ] = "1s",
    per_thousand_rows: Annotated[
        float, typer.Option(help="Extra IN_PROGRESS seconds per 1,000 rows.", rich_help_panel=TIMING)
    ] = 0.05,
    token_ttl: Annotated[
        str,
        typer.Option(help="How long a download URL stays valid (every GET mints a fresh one).", rich_help_panel=SERVER),
    ] = "15m",
    fail_rate: Annotated[
        float, typer.Option(help="Answer this fraction of requests (0..1) with --fail-status.", rich_help_panel=FAULTS)
    ] = 0.0,
    fail_next: Annotated[
        int, typer.Option(help="Answer the first N requests with --fail-status.", rich_help_panel=FAULTS)
    ] = 0,
    fail_status: Annotated[
        int, typer.Option(help="Status of injected failures: 500, 502, 503, 504, 429...", rich_help_panel=FAULTS)
    ] = 503,
    fail_path: Annotated[
        str | None,
        typer.Option(
            help="Inject --fail-rate/--fail-next/--slow/--wrong-cluster/--quota-exceeded/--cycle-limit only on paths "
            "starting with this.",
            rich_help_panel=FAULTS,
        ),
    ] = None,
    rate_limit_burst: Annotated[
        int, typer.Option(help="Answer the first N requests with 429 and Retry-After.", rich_help_panel=FAULTS)
    ] = 0,
    retry_after: Annotated[
        int, typer.Option(help="Retry-After seconds of --rate-limit-burst answers.", rich_help_panel=FAULTS)
    ] = 1,
    slow: Annotated[
        str | None, typer.Option(help="Delay every response by this long (500ms, 2s).", rich_help_panel=FAULTS)
    ] = None,
    drop_download_after: Annotated[
        int | None,
        typer.Option(help="Close every download's connection after this many body bytes.", rich_help_panel=FAULTS),
    ] = None,
    short_body: Annotated[
        int | None,
        typer.Option(help="Send every download this many bytes short of its Content-Length.", rich_help_panel=FAULTS),
    ] = None,
    fail_jobs: Annotated[
        int, typer.Option(help="End the first N exports in ERROR (-1: every export).", rich_help_panel=FAULTS)
    ] = 0,
    hold_in_progress: Annotated[
        str | None,
        typer.Option(help="Keep every export IN_PROGRESS at least this long (10s, 2m).", rich_help_panel=FAULTS),
    ] = None,
    wrong_cluster: Annotated[
        str | None,
        typer.Option(
            "--wrong-cluster",
            metavar="URL",
            help="Answer every authenticated request 403 wrong_api_endpoint naming URL, as the API does for "
            "credentials of another cluster.",
            rich_help_panel=FAULTS,
        ),
    ] = None,
    quota_exceeded: Annotated[
        bool,
        typer.Option(
            "--quota-exceeded",
            help="Answer every authenticated request 402: the pricing plan's limit is exceeded.",
            rich_help_panel=FAULTS,
        ),
    ] = False,
    cycle_limit: Annotated[
        bool,
        typer.Option(
            "--cycle-limit",
            help="Answer every authenticated request 429 with X-Rate-Limit-Type api_calls_cycle, until the start "
            "of next month (UTC).",
            rich_help_panel=FAULTS,
        ),
    ] = False,
    log_requests: Annotated[
        bool, typer.Option("--log-requests", help="Print one line per HTTP request to standard error.")
    ] = False,
) -> None:
    """Serve a local Voucherify-compatible export API with generated data, until Ctrl-C or SIGTERM."""
    # Imported here: `exportctl --help` and completion must not pay for the sandbox.
    from exportctl.cli.console import print_info, print_warning
    from exportctl.request.durations import parse_duration
    from exportctl.sandbox import Sandbox, SandboxDatabaseError, Timing

    history_end = _parse_as_of(as_of)
    if scale <= 0:
        raise typer.BadParameter("must be greater than 0", param_hint="--scale")
    if not 0.0 <= fail_rate <= 1.0:
        raise typer.BadParameter("must be between 0 and 1", param_hint="--fail-rate")
    ttl = parse_duration(token_ttl, "--token-ttl")
    if ttl <= 0:
        raise typer.BadParameter("must be greater than 0", param_hint="--token-ttl")
    timing = Timing(
        scheduled=parse_duration(scheduled, "--scheduled"),
        in_progress=parse_duration(in_progress, "--in-progress"),
        per_thousand_rows=per_thousand_rows,
    )
    try:
        server = Sandbox(
            seed=seed,
            scale=scale,
            db_path=db,
            data_dir=data_dir,
            app_id=app_id,
            secret_key=secret_key,
            host=host,
            port=port,
            timing=timing,
            rate_limit=rate_limit,
            access_log=print_info if log_requests else None,
            token_ttl=ttl,
            as_of=history_end,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    faults = server.faults
    if fail_rate:
        faults.fail_fraction(fail_rate, status=fail_status, path_prefix=fail_path)
    if fail_next:
        faults.fail_next(fail_next, status=fail_status, path_prefix=fail_path)
    if rate_limit_burst:
        faults.rate_limit_burst(rate_limit_burst, retry_after=retry_after)
    if slow:
        faults.slow(parse_duration(slow, "--slow"), path_prefix=fail_path)
    if drop_download_after is not None:
        faults.drop_download_after(drop_download_after, times=None)
    if short_body is not None:
        faults.short_body(short_body, times=None)
    if fail_jobs:
        faults.fail_next_job("Export failed (injected by --fail-jobs)", times=None if fail_jobs < 0 else fail_jobs)
    if hold_in_progress:
        faults.hold_in_progress(parse_duration(hold_in_progress, "--hold-in-progress"), times=None)
    if wrong_cluster is not None:
        faults.wrong_cluster(wrong_cluster, path_prefix=fail_path)
    if quota_exceeded:
        faults.quota_exceeded(path_prefix=fail_path)
    if cycle_limit:
        faults.cycle_limit(path_prefix=fail_path)
    if not server.is_loopback:
        print_warning(
            f"binding {host}: anyone who can reach this machine can call the sandbox with the credentials below."
        )
    try:
        server.bind()
    except OSError as error:
        raise typer.BadParameter(_bind_failure(host, port, error), param_hint="--port") from None
    # From here on, Ctrl-C or SIGTERM (how CI stops a background service) may come at any moment, even
    # while data is generated: both end in stop(), which removes the temporary files.
    with _sigterm_as_interrupt():
        try:
            settings = f"seed {seed}, scale {scale:g}, as of {server.as_of}"
            existing = db is not None and db.is_file() and db.stat().st_size > 0
            # A --db file made with these settings is reused as it is: only a new one is generated.
            print_info(f"Opening {db} ({settings})..." if existing else f"Generating data ({settings})...")
            server.start()
            if server.store.rebuilt_because:
                print_warning(f"rebuilt {server.store.path}: {server.store.rebuilt_because}.")
            elif server.store.reused:
                print_info(f"Reusing the data in {server.store.path}: made with the same seed, scale and as-of.")
            # One line at a time: print_info shows a control character (a newline too) as an escape.
            for line in (
                f"Sandbox API at {server.base_url}  ({server.store.counts()['voucher']} vouchers)",
                f"  Application ID: {server.app_id}",
                f"  Secret key:     {server.secret_key}",
                f"  Export files:   {server.data_dir}",
                "",
                "Point exportctl at it:",
                f"  export VOUCHERIFY_API_BASE_URL={server.base_url} VOUCHERIFY_APP_ID={server.app_id} "
                f"VOUCHERIFY_APP_TOKEN={server.secret_key}",
                "",
                "Serving until Ctrl-C.",
            ):
                print_info(line)
            server.wait()
        except SandboxDatabaseError as error:
            raise typer.BadParameter(str(error), param_hint="--db") from None
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    print_info("stopped")


def _parse_as_of(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date like 2026-11-01", param_hint="--as-of") from None


def _bind_failure(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use; choose another with --port, or --port 0 for a free one"
    return f"cannot listen on {host}:{port}: {error.strerror or error}"


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt in the main thread, so it stops the sandbox the way Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        # A second SIGTERM must not interrupt the cleanup the first one started.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
