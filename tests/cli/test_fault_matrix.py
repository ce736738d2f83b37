"""The fault matrix of docs/reliability.md, each row run end to end: the real CLI against the sandbox's faults.

`CASES` is the table; `test_docs_list_exactly_these_cases` keeps docs/reliability.md equal to it. Every case
checks the documented exit code, a clear message, no traceback, and the target: the server's file byte for
byte after a success; after a failure the target still holds what it held before (every failing run starts
with an existing target and `--force`), and a `.part` only where the table says one is kept.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from exportctl import schema
from exportctl.errors import ExitCode
from exportctl.files.atomic import part_path
from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
RETRY_LINE = re.compile(r"retrying (GET|POST|DELETE) ")  # the reporter's line for each retry or wait
OLD = b"old,target\n"  # what an existing target holds before a failing run; it must hold it afterwards


@dataclass(frozen=True)
class Case:
    name: str  # the row's first cell in docs/reliability.md
    exit_code: ExitCode
    message: str  # a regular expression the standard error must match (whitespace collapsed)
    part_kept: bool = False  # whether a failure leaves TARGET.part for `exportctl download ID` to continue


CASES: tuple[Case, ...] = (
    Case("429 with Retry-After", ExitCode.OK, r"retrying POST .* 429 rate limited"),
    Case("429 with a Retry-After beyond 60 s", ExitCode.NETWORK, r"rate limit was reached.*next call in 3\d\d s"),
    Case("503 burst while submitting", ExitCode.OK, r"retrying POST .* 503"),
    Case("500, 502 or 504 while submitting", ExitCode.NETWORK, r"may have created the export anyway"),
    Case("500/502/503/504 burst while polling", ExitCode.OK, r"retrying GET .*/v1/exports/exp_\w+ .* 50\d"),
    Case("5xx that never clears while polling", ExitCode.NETWORK, r"after 5 attempt.*exportctl wait exp_"),
    Case("500/502/503/504 burst while downloading", ExitCode.OK, r"retrying GET .*token=\*\*\* .* 50\d"),
    Case("Connection reset while polling", ExitCode.OK, r"retrying GET .* connection reset or closed"),
    Case(
        "Connection dropped mid-download",
        ExitCode.OK,
        r"retrying GET .*ended after 1000 of \d+ bytes \(the connection closed",
    ),
    Case(
        "Connection dropped again and again, each time after new bytes",
        ExitCode.OK,
        r"retrying GET .*ended after 1000 of \d+ bytes.*\(attempt 5\)",
    ),
    Case(
        "Connection dropped on every attempt, with no new byte",
        ExitCode.NETWORK,
        r"kept in .*v\.csv\.part.*exportctl download exp_",
        part_kept=True,
    ),
    Case(
        "Body shorter than Content-Length",
        ExitCode.OK,
        r"retrying GET .*ended after (\d+) of \d+ bytes \(the connection closed",
    ),
    Case(
        "Read timeout in the middle of a download",
        ExitCode.OK,
        r"retrying GET .*token=\*\*\* .*ended after \d+ bytes.*Timeout",
    ),
    Case(
        "Connection reset in the middle of a download",
        ExitCode.OK,
        r"retrying GET .*token=\*\*\* .*ConnectionResetError",
    ),
    Case(
        "Download sent gzip-encoded although not asked",
        ExitCode.NETWORK,
        r"Content-Encoding: 'gzip' although exportctl asked for it unencoded; refusing it",
    ),
    Case("Server slower than the read timeout while polling", ExitCode.OK, r"retrying GET .* read timeout"),
    Case("Server slower than the read timeout while submitting", ExitCode.NETWORK, r"read timeout.*exportctl list"),
    Case("Export ends in ERROR", ExitCode.EXPORT_FAILED, r"ended in ERROR: export_failed: Disk quota"),
    Case("Download token no longer works", ExitCode.OK, r"saved \d+ rows"),
    Case("Download token refused again after a fresh URL", ExitCode.AUTH, r"download URL's token was refused"),
    Case("Export deleted while being waited on", ExitCode.API_REJECTED, r"no longer exists \(deleted while waiting"),
    Case(
        "Credentials of another cluster (403 wrong_api_endpoint)",
        ExitCode.AUTH,
        r"bound to https://us1\.api\.voucherify\.io\. Add --region us1 to the command.*exportctl login --region us1",
    ),
    Case("Plan limit exceeded (402)", ExitCode.API_REJECTED, r"pricing plan's limit is exceeded \(402"),
    Case(
        "API-calls cycle limit spent (429 api_calls_cycle) while submitting",
        ExitCode.API_REJECTED,
        r"POST .* API-calls limit for this billing cycle is spent .* It resets at .*UTC\. .*did not wait",
    ),
    Case(
        "API-calls cycle limit spent while polling",
        ExitCode.API_REJECTED,
        r"GET .*/v1/exports/exp_\w+: the project's API-calls limit .* once the quota resets: exportctl wait exp_",
    ),
    Case("Output directory not writable", ExitCode.USAGE, r"output directory .* is not writable"),
    Case("Disk fills up while writing", ExitCode.UNEXPECTED, r"no room .*kept in .*v\.csv\.part", part_kept=True),
    Case("Ctrl-C while submitting", ExitCode.INTERRUPTED, r"Interrupted while submitting.*exportctl list"),
    Case("Ctrl-C while waiting", ExitCode.INTERRUPTED, r"Interrupted while waiting.*exportctl wait exp_"),
    Case(
        "Ctrl-C while downloading",
        ExitCode.INTERRUPTED,
        r"bytes received are kept in .*exportctl download exp_",
        part_kept=True,
    ),
)
BY_NAME = {case.name: case for case in CASES}


@dataclass
class Run:
    """What one run of the CLI left: its exit code and standard error, and the directory it wrote in."""

    exit_code: int
    stderr: str
    work: Path
    export_id: str | None = None  # known when the run should have saved the server's file


def collapsed(text: str) -> str:
    return " ".join(text.split())


def existing_target(work: Path) -> Path:
    target = work / "v.csv"
    target.write_bytes(OLD)
    return target


def export_id_of(stdout: str) -> str | None:
    try:
        return str(json.loads(stdout)["export_id"])
    except (ValueError, KeyError):
        return None


def run_voucher(cli: Cli, work: Path, *extra: str, env: dict[str, str] | None = None) -> Run:
    """`exportctl voucher -o v.csv --force --json` over an existing v.csv."""
    existing_target(work)
    result = cli("voucher", *extra, "-o", "v.csv", "--force", "--json", env=env)
    return Run(result.exit_code, result.stderr, work, export_id_of(result.stdout))


def done_export(sandbox: Sandbox, fields: list[str] | None = None) -> str:
    """A DONE voucher export made straight over HTTP; its id."""
    session = requests.Session()
    session.headers.update(sandbox.headers)
    parameters = {"fields": fields} if fields else {}
    export = session.post(
        f"{sandbox.base_url}/v1/exports", json={"exported_object": "voucher", "parameters": parameters}, timeout=10
    ).json()
    deadline = time.monotonic() + 20
    while export["status"] not in ("DONE", "ERROR") and time.monotonic() < deadline:
        time.sleep(0.02)
        export = session.get(f"{sandbox.base_url}/v1/exports/{export['id']}", timeout=10).json()
    assert export["status"] == "DONE", export
    return str(export["id"])


def listed_ids(sandbox: Sandbox) -> list[str]:
    answer = requests.get(
        f"{sandbox.base_url}/v1/exports", params={"limit": 100}, headers=sandbox.headers, timeout=10
    ).json()
    return [str(export["id"]) for export in answer["exports"]]


def subprocess_env(sandbox: Sandbox) -> dict[str, str]:
    return {
        **os.environ,
        "VOUCHERIFY_API_BASE_URL": sandbox.base_url,
        "VOUCHERIFY_APP_ID": sandbox.app_id,
        "VOUCHERIFY_APP_TOKEN": sandbox.secret_key,
        "COLUMNS": "200",
    }


def start_cli(
    sandbox: Sandbox,
    work: Path,
    *args: str,
    preexec: Callable[[], None] | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """`exportctl ARGS` as a process of its own in `work`, on `sandbox`, with `env` added to its environment."""
    return subprocess.Popen(
        [sys.executable, "-m", "exportctl", *args],
        cwd=work,
        env={**subprocess_env(sandbox), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
    )


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir() if fd_dir.exists() else ():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[len("socket:[") : -1])
    return inodes


def connected_to(pid: int, port: int) -> bool:
    """Whether process `pid` holds an established TCP connection to `port` on this machine (from /proc)."""
    mine = socket_inodes(pid)
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        lines = Path(table).read_text().splitlines()[1:] if Path(table).exists() else []
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[3] == "01" and fields[9] in mine:
                return True
    return False


def wait_for(
    condition: Callable[[], bool], seconds: float = 20.0, process: subprocess.Popen[str] | None = None
) -> None:
    """Wait until `condition` holds; a process that never gets there is killed rather than left running."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline or (process is not None and process.poll() is not None):
            if process is not None:
                process.kill()
                _, stderr = process.communicate()
                raise AssertionError(f"the CLI never reached the stage: {stderr}")
            raise AssertionError("timed out waiting for the stage")
        time.sleep(0.02)


def interrupt(process: subprocess.Popen[str], work: Path) -> Run:
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    return Run(process.returncode, stderr, work)


# Every voucher field: about 1.3 MB from the big sandbox, several download chunks.
ALL_FIELDS = ",".join(field.name for field in schema.VOUCHER.fields)


# The cases -----------------------------------------------------------------------------------------------


def case_429(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.rate_limit_burst(1, retry_after=1)
    return run_voucher(cli, work)


def case_429_too_long(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    before = cli.export_count()
    sandbox.faults.rate_limit_burst(1, retry_after=300)
    run = run_voucher(cli, work)
    assert cli.export_count() == before
    return run


def case_503_submit(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.fail_next(2, status=503, path_prefix="/v1/exports")
    return run_voucher(cli, work)


def case_5xx_submit(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    runs = []
    for status in (500, 502, 504):
        sandbox.faults.fail_next(1, status=status, path_prefix="/v1/exports")
        runs.append(run_voucher(cli, work))
        assert runs[-1].exit_code == ExitCode.NETWORK and f"{status}" in runs[-1].stderr
    return runs[-1]


def case_5xx_polling(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    runs = []
    for status in (500, 502, 503, 504):
        sandbox.faults.fail_next(2, status=status, path_prefix="/v1/exports/")
        runs.append(run_voucher(cli, work))
        assert runs[-1].exit_code == ExitCode.OK and f" {status} " in collapsed(runs[-1].stderr)
    return runs[-1]


def case_5xx_forever_polling(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.fail_next(100, status=502, path_prefix="/v1/exports/")
    return run_voucher(cli, work)


def case_5xx_download(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    runs = []
    for status in (500, 502, 503, 504):
        sandbox.faults.fail_next_download(1, status=status)
        runs.append(run_voucher(cli, work))
        assert runs[-1].exit_code == ExitCode.OK and f" {status} " in collapsed(runs[-1].stderr)
    return runs[-1]


def case_reset_polling(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.reset_next(2, path_prefix="/v1/exports/")
    return run_voucher(cli, work)


def case_dropped(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.drop_download_after(1000, times=1)
    return run_voucher(cli, work)


def case_dropped_progressing(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    # Five breaks, each after 1000 bytes more: every attempt advanced, so none used up the attempts.
    sandbox.faults.drop_download_after(1000, times=5)
    return run_voucher(cli, work)


def case_dropped_always(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.drop_download_after(1000, times=2)
    sandbox.faults.drop_download_after(0, times=None)  # then 3 attempts in a row bring no new byte
    run = run_voucher(cli, work)
    # Each attempt continued where the previous one stopped.
    assert part_path(work / "v.csv").stat().st_size == 2000
    return run


def case_short_body(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.short_body(100, times=1)
    return run_voucher(cli, work)


def case_timeout_mid_download(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    # 1000 bytes, then silence longer than the read timeout, in the middle of a read.
    sandbox.faults.stall_download_after(1000, 2.0)
    run = run_voucher(cli, work, env={"EXPORTCTL_READ_TIMEOUT": "300ms"})
    assert "BufferError" not in run.stderr
    return run


def case_reset_mid_download(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.reset_download_after(1000)
    run = run_voucher(cli, work)
    assert "BufferError" not in run.stderr
    return run


def case_gzip_unasked(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    # A torn gzip stream inside a complete body: decoded, it would pass for a shorter file.
    sandbox.faults.gzip_download_cut_short(times=5)
    return run_voucher(cli, work)


def case_slow_polling(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.slow(1.0, n=1, path_prefix="/v1/exports/")
    return run_voucher(cli, work, env={"EXPORTCTL_READ_TIMEOUT": "300ms"})


def case_slow_submit(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    before = cli.export_count()
    sandbox.faults.slow(1.0, n=1, path_prefix="/v1/exports")
    run = run_voucher(cli, work, env={"EXPORTCTL_READ_TIMEOUT": "300ms"})
    # The server goes on after the client gave up and creates the export late, as the hint warns
    # (`exportctl list`). Wait for it here, or it lands in a later test's count of the exports.
    deadline = time.monotonic() + 20
    while cli.export_count() == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cli.export_count() == before + 1, "the slow POST still creates its export"
    return run


def case_error(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.fail_next_job("Disk quota exceeded")
    return run_voucher(cli, work)


def case_token_refreshed(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.refuse_download_token(times=1)
    return run_voucher(cli, work)


def case_token_refused(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.refuse_download_token(times=2)
    return run_voucher(cli, work)


def case_wrong_cluster(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    return _refused(cli, sandbox, work, lambda: sandbox.faults.wrong_cluster("https://us1.api.voucherify.io"))


def case_plan_limit(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    return _refused(cli, sandbox, work, sandbox.faults.quota_exceeded)


def case_cycle_limit_submit(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    return _refused(cli, sandbox, work, sandbox.faults.cycle_limit)


def case_cycle_limit_polling(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.cycle_limit(path_prefix="/v1/exports/")
    run = run_voucher(cli, work)
    assert not RETRY_LINE.search(run.stderr), "a cycle limit is not waited out"
    return run


def _refused(cli: Cli, sandbox: Sandbox, work: Path, switch_on: Callable[[], None]) -> Run:
    """A run the API refuses from its first call: nothing retried or waited out, no export created."""
    before = listed_ids(sandbox)
    switch_on()
    run = run_voucher(cli, work)
    sandbox.faults.reset()
    assert not RETRY_LINE.search(run.stderr), "a refusal that waiting does not change is neither retried nor waited"
    assert listed_ids(sandbox) == before, "no export was created"
    return run


def case_deleted(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    sandbox.faults.hold_in_progress(20)
    known = set(listed_ids(sandbox))

    def delete_the_new_export() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            new = [export_id for export_id in listed_ids(sandbox) if export_id not in known]
            if new:
                time.sleep(0.3)  # let the CLI poll it at least once
                requests.delete(f"{sandbox.base_url}/v1/exports/{new[0]}", headers=sandbox.headers, timeout=10)
                return
            time.sleep(0.05)

    deleter = threading.Thread(target=delete_the_new_export)
    deleter.start()
    try:
        return run_voucher(cli, work)
    finally:
        deleter.join()


def case_not_writable(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    locked = work / "locked"
    locked.mkdir()
    target = existing_target(locked)
    before = cli.export_count()
    # Root ignores permission bits, so as root the directory is made immutable (ext4's chattr +i) instead.
    as_root = os.geteuid() == 0
    if as_root:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(locked)], capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without chattr +i: no way to make a directory read-only")
    else:
        locked.chmod(0o555)
    try:
        result = cli("voucher", "-o", str(target), "--force")
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(locked)], check=True)
        else:
            locked.chmod(0o755)
    assert cli.export_count() == before, "nothing may be submitted when the target cannot be written"
    assert target.read_bytes() == OLD and sorted(p.name for p in locked.iterdir()) == ["v.csv"]
    return Run(result.exit_code, result.stderr, work)


def case_disk_full(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    existing_target(work)
    limit = 64 * 1024

    def small_disk() -> None:
        # The kernel refuses writes past `limit` bytes in any file with EFBIG, as a full disk refuses them
        # with ENOSPC; ignoring SIGXFSZ turns the signal into that error instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    process = start_cli(big, work, "voucher", "--fields", ALL_FIELDS, "-o", "v.csv", "--force", preexec=small_disk)
    _, stderr = process.communicate(timeout=60)
    part = part_path(work / "v.csv")
    assert 0 < part.stat().st_size <= limit
    return Run(process.returncode, stderr, work)


def case_ctrl_c_submit(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    existing_target(work)
    sandbox.faults.slow(30, n=1, path_prefix="/v1/exports")
    process = start_cli(sandbox, work, "voucher", "-o", "v.csv", "--force")
    port = int(sandbox.base_url.rsplit(":", 1)[1])
    wait_for(lambda: connected_to(process.pid, port), process=process)
    time.sleep(0.2)  # the request is on its way; the answer is 30 s away
    return interrupt(process, work)


def case_ctrl_c_wait(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    existing_target(work)
    sandbox.faults.hold_in_progress(30)
    process = start_cli(sandbox, work, "voucher", "-o", "v.csv", "--force")
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + 30
    while "IN_PROGRESS" not in seen and time.monotonic() < deadline:
        seen += process.stderr.readline()
    run = interrupt(process, work)
    run.stderr = seen + run.stderr
    return run


def case_ctrl_c_download(cli: Cli, sandbox: Sandbox, work: Path, big: Sandbox) -> Run:
    existing_target(work)
    export_id = done_export(big, ALL_FIELDS.split(","))
    # 300 kB arrive, then the server pauses: more than one 256 kB chunk is on disk when Ctrl-C comes.
    big.faults.stall_download_after(300_000, 30)
    process = start_cli(big, work, "download", export_id, "-o", "v.csv", "--force")
    part = part_path(work / "v.csv")
    wait_for(lambda: part.exists() and part.stat().st_size > 0, process=process)
    run = interrupt(process, work)
    kept = part.read_bytes()
    assert kept == (big.data_dir / f"{export_id}.csv").read_bytes()[: len(kept)]
    assert f"the {len(kept)} bytes received are kept" in collapsed(run.stderr)
    return run


RUNNERS: dict[str, Callable[[Cli, Sandbox, Path, Sandbox], Run]] = {
    "429 with Retry-After": case_429,
    "429 with a Retry-After beyond 60 s": case_429_too_long,
    "503 burst while submitting": case_503_submit,
    "500, 502 or 504 while submitting": case_5xx_submit,
    "500/502/503/504 burst while polling": case_5xx_polling,
    "5xx that never clears while polling": case_5xx_forever_polling,
    "500/502/503/504 burst while downloading": case_5xx_download,
    "Connection reset while polling": case_reset_polling,
    "Connection dropped mid-download": case_dropped,
    "Connection dropped again and again, each time after new bytes": case_dropped_progressing,
    "Connection dropped on every attempt, with no new byte": case_dropped_always,
    "Body shorter than Content-Length": case_short_body,
    "Read timeout in the middle of a download": case_timeout_mid_download,
    "Connection reset in the middle of a download": case_reset_mid_download,
    "Download sent gzip-encoded although not asked": case_gzip_unasked,
    "Server slower than the read timeout while polling": case_slow_polling,
    "Server slower than the read timeout while submitting": case_slow_submit,
    "Export ends in ERROR": case_error,
    "Download token no longer works": case_token_refreshed,
    "Download token refused again after a fresh URL": case_token_refused,
    "Export deleted while being waited on": case_deleted,
    "Credentials of another cluster (403 wrong_api_endpoint)": case_wrong_cluster,
    "Plan limit exceeded (402)": case_plan_limit,
    "API-calls cycle limit spent (429 api_calls_cycle) while submitting": case_cycle_limit_submit,
    "API-calls cycle limit spent while polling": case_cycle_limit_polling,
    "Output directory not writable": case_not_writable,
    "Disk fills up while writing": case_disk_full,
    "Ctrl-C while submitting": case_ctrl_c_submit,
    "Ctrl-C while waiting": case_ctrl_c_wait,
    "Ctrl-C while downloading": case_ctrl_c_download,
}


@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_fault_case(name: str, cli: Cli, sandbox: Sandbox, big: Sandbox, isolated: Path, quick_backoff: None) -> None:
    case = BY_NAME[name]
    run = RUNNERS[name](cli, sandbox, isolated, big)
    stderr = collapsed(run.stderr)
    assert run.exit_code == case.exit_code, run.stderr
    assert "Traceback" not in run.stderr
    assert re.search(case.message, stderr), run.stderr
    target = run.work / "v.csv"
    part = part_path(target)
    if case.exit_code == ExitCode.OK:
        assert run.export_id is not None
        expected = (sandbox.data_dir / f"{run.export_id}.csv").read_bytes()
        assert target.read_bytes() == expected, "the saved file must be the server's, byte for byte"
        assert not part.exists()
    else:
        if target.exists() or case.name != "Output directory not writable":
            assert target.read_bytes() == OLD, "a failed run must leave the existing target untouched"
        assert part.exists() == case.part_kept, f".part kept: {part.exists()}, documented: {case.part_kept}"


def test_every_case_has_a_runner() -> None:
    assert set(RUNNERS) == set(BY_NAME)


def test_docs_list_exactly_these_cases() -> None:
    """docs/reliability.md's matrix has one row per case, with the same exit code."""
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"\d+", cells[2]):
            rows[cells[0]] = int(cells[2])
    assert rows == {case.name: int(case.exit_code) for case in CASES}
