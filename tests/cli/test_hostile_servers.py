"""Hostile servers: what the sandbox cannot play (lying ids, statuses, headers, bodies), on 127.0.0.1.

`CASES` is the table "Hostile servers, names and signals" of docs/reliability.md; `test_docs_list_these_cases`
keeps the two equal. Every case runs the real CLI (or the library, where the CLI needs TLS) over HTTP.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from exportctl.cli.app import app
from tests.cli.hostile import Answer, Hostile, Request, Script, export, hostile_server

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
CSV = b"Code,Voucher Type\nA1,DISCOUNT_VOUCHER\n"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# name in the docs' table -> exit code
CASES: dict[str, int] = {
    "Server text with control characters or rich markup": 0,
    "Undocumented export status": 5,
    "Rate limit spent with the refill a day ahead": 7,
    "Retry-After: inf or 1e400": 7,
    "Non-JSON 200 while polling": 0,
    "Non-JSON 200 on every poll": 7,
    "`status` with `result` as a list": 0,
    "`list` with `exports` as a string": 7,
    "EXPORTCTL_READ_TIMEOUT beyond 24h": 2,
    "Download URL on http:// with an https:// API": 0,
    "Export object or id from the server as a file name": 0,
    "Server id `..` or longer than a file name allows": 2,
    # in tests/cli/test_hostile_inputs.py
    "YAML alias bomb": 2,
    "NUL byte in a YAML `output` or `incremental` path": 2,
    "Invalid UTF-8 in `--filter`": 2,
    "`app_token` that YAML reads as a number": 2,
    "`user:pass@` in the API URL": 0,
    # in tests/cli/test_signals.py
    "SIGTERM or SIGHUP while waiting": 143,
    "SIGTERM while downloading": 143,
    "Second Ctrl-C in `run --parallel`'s grace period": 130,
    "SIGTERM during `run`": 143,
    "A stream or burst of SIGINT/SIGTERM during `run`": 130,
    "A file of the user's in `TARGET.parts/`": 0,
    # in tests/request/test_configfile.py, tests/request/test_ranges.py, tests/test_library.py
    "YAML alias inside its own anchor": 2,
    "Instant or duration out of range": 2,
    "Library keyword of the wrong type": 2,
    # in tests/sandbox/
    "`sandbox --db` rebuild while another process reads the file": 2,
    "Client dripping its headers or body to the sandbox": 0,
}


def run(hostile: Hostile, *args: str, env: dict[str, str] | None = None) -> Result:
    argv = ["--api-url", hostile.base_url, "--app-id", "id", "--app-token", "sk_secret_token", *args]
    return CliRunner().invoke(app, argv, env=env, catch_exceptions=False)


def exporting(export_id: str, *, status_after: str = "DONE", extra_headers: dict[str, str] | None = None) -> Script:
    """A server that creates `export_id`, reports `status_after` and serves CSV at /dl."""

    def script(request: Request, state: Hostile) -> Answer:
        headers = extra_headers or {}
        if request.method == "POST":
            return Answer(200, export(export_id), headers)
        if request.path.startswith("/dl"):
            return Answer(200, CSV, {"Content-Type": "text/csv"})
        result = {"url": f"{state.base_url}/dl?token=tok"} if status_after == "DONE" else None
        return Answer(200, export(export_id, status_after, result=result), headers)

    return script


# Markup in ids is the live view's problem (test_live_spinner_and_list_show_markup_literally); log lines get these.
@pytest.mark.parametrize("export_id", ["exp_1\n2026-01-01T00:00:00Z forged", "exp_\x1b]0;t\x07\x1b[2J"])
def test_server_text_with_markup_or_controls(export_id: str, tmp_path: Path) -> None:
    with hostile_server(exporting(export_id)) as hostile:
        result = run(hostile, "voucher", "-o", str(tmp_path / "v.csv"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "v.csv").read_bytes() == CSV
    assert not CONTROL.search(result.stderr), result.stderr
    assert not any(line.startswith("2026-01-01T00:00:00Z") for line in result.stderr.splitlines()), "a forged line"


def test_live_spinner_and_list_show_markup_literally(tmp_path: Path) -> None:
    export_id = "exp_[/]x[bold]"

    def script(request: Request, state: Hostile) -> Answer:
        if request.path.startswith("/v1/exports?"):
            return Answer(200, {"object": "list", "exports": [export(export_id, "[/bold]\x1b[31m")], "total": 1})
        answer: Answer = exporting(export_id)(request, state)
        return answer

    with hostile_server(script) as hostile:
        base = [sys.executable, "-m", "exportctl", "--api-url", hostile.base_url, "--app-id", "i", "--app-token", "t"]
        env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "200"}
        live = subprocess.run(
            [*base, "voucher", "-o", "v.csv"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        listed = subprocess.run([*base, "list"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert live.returncode == 0, live.stderr
    assert "MarkupError" not in live.stderr and "Traceback" not in live.stderr
    assert listed.returncode == 0, listed.stderr
    plain = re.sub(r"\x1b\[[0-9;]*m", "", listed.stdout)
    assert "exp_[/]x[bold]" in plain
    assert "[/bold]" in plain and "\x1b[31m" not in listed.stdout


@pytest.mark.default_polling  # polling itself is under test: the product's schedule
def test_undocumented_status_ends_the_wait(tmp_path: Path) -> None:
    with hostile_server(exporting("exp_f", status_after="FAILED")) as hostile:
        started = time.monotonic()
        result = run(hostile, "voucher", "-o", str(tmp_path / "v.csv"))
    assert result.exit_code == 5, result.stderr
    assert "status 'FAILED', which the API does not document" in result.stderr
    assert time.monotonic() - started < 30
    assert not (tmp_path / "v.csv").exists()


@pytest.mark.default_polling  # polling itself is under test: the product's schedule
def test_missing_status_ends_the_wait(tmp_path: Path) -> None:
    def script(request: Request, state: Hostile) -> Answer:
        if request.method == "POST":
            return Answer(200, export("exp_m"))
        return Answer(200, {"id": "exp_m", "object": "export"})

    with hostile_server(script) as hostile:
        result = run(hostile, "wait", "exp_m")
    assert result.exit_code == 5, result.stderr
    assert "status None" in result.stderr


@pytest.mark.default_polling  # polling itself is under test: the product's schedule
def test_rate_limit_refill_a_day_ahead(tmp_path: Path) -> None:
    day_ahead = str(int(time.time()) + 86_400)
    headers = {"X-Rate-Limit-Limit": "100", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Retry": day_ahead}
    with hostile_server(exporting("exp_r", status_after="IN_PROGRESS", extra_headers=headers)) as hostile:
        started = time.monotonic()
        result = run(hostile, "voucher", "-o", str(tmp_path / "v.csv"))
    assert result.exit_code == 7, result.stderr
    assert time.monotonic() - started < 30
    text = " ".join(result.stderr.split())
    assert re.search(r"allows the next call in 86\d\d\d s \(at (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC\)", text), text
    assert "exportctl wait exp_r" in text


@pytest.mark.parametrize("value", ["inf", "1e400"])
def test_retry_after_not_a_number(value: str, tmp_path: Path, quick_backoff: None) -> None:
    def script(request: Request, state: Hostile) -> Answer:
        return Answer(429, {"code": 429, "message": "Too many"}, {"Retry-After": value})

    with hostile_server(script) as hostile:
        result = run(hostile, "voucher", "-o", str(tmp_path / "v.csv"))
    assert result.exit_code == 7, result.stderr
    assert "rate limit was reached" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.default_polling  # polling itself is under test: the product's schedule
def test_non_json_200_while_polling_is_retried(tmp_path: Path) -> None:
    polls = []

    def script(request: Request, state: Hostile) -> Answer:
        if request.method == "GET" and request.path.startswith("/v1/exports/"):
            polls.append(request.path)
            if len(polls) == 1:
                return Answer(200, "<html>proxy</html>", {"Content-Type": "text/html"})
        answer: Answer = exporting("exp_j")(request, state)
        return answer

    with hostile_server(script) as hostile:
        result = run(hostile, "voucher", "-o", str(tmp_path / "v.csv"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "v.csv").read_bytes() == CSV


@pytest.mark.default_polling  # polling itself is under test: the product's schedule
def test_non_json_200_on_every_poll_keeps_the_wait_hint(tmp_path: Path) -> None:
    def script(request: Request, state: Hostile) -> Answer:
        if request.method == "POST":
            return Answer(200, export("exp_h"))
        return Answer(200, "<html>proxy</html>", {"Content-Type": "text/html"})

    with hostile_server(script) as hostile:
        result = run(hostile, "voucher", "-o", str(tmp_path / "v.csv"))
    assert result.exit_code == 7, result.stderr
    assert "not with JSON" in result.stderr
    assert "exportctl wait exp_h" in result.stderr


def test_status_with_result_as_a_list() -> None:
    with hostile_server(lambda r, s: Answer(200, export("exp_l", "DONE", result=["x"]))) as hostile:
        result = run(hostile, "status", "exp_l")
    assert result.exit_code == 0, result.stderr
    assert "exp_l  voucher  DONE" in result.stdout


def test_list_with_exports_as_a_string() -> None:
    with hostile_server(lambda r, s: Answer(200, {"object": "list", "exports": "nope", "total": 1})) as hostile:
        result = run(hostile, "list")
    assert result.exit_code == 7, result.stderr
    assert "no `exports` array" in result.stderr


def test_read_timeout_beyond_a_day() -> None:
    with hostile_server(lambda r, s: Answer(200, export("exp_t", "DONE"))) as hostile:
        result = run(hostile, "status", "exp_t", env={"EXPORTCTL_READ_TIMEOUT": "99999999999d"})
    assert result.exit_code == 2, result.stderr
    assert "at most 24h" in result.stderr
    assert hostile.requests == []


def test_no_credentials_over_http_when_the_api_is_https() -> None:
    from exportctl.client.api import ApiClient
    from exportctl.settings import Settings

    with hostile_server(lambda r, s: Answer(200, CSV, {"Content-Type": "text/csv"})) as hostile:
        port = hostile.base_url.rsplit(":", 1)[1]
        settings = Settings(app_id="id", app_token="sk_secret_token", base_url=f"https://127.0.0.1:{port}")
        with ApiClient(settings) as client, client.open_download(f"{hostile.base_url}/dl?token=t") as body:
            data = b"".join(body.iter_bytes())
    assert data == CSV
    sent = hostile.requests[0].headers
    assert "X-App-Token" not in sent and "X-App-Id" not in sent


def test_docs_list_these_cases() -> None:
    """docs/reliability.md's table "Hostile servers, names and signals" has one row per case, same exit code."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Hostile servers, names and signals", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"\d+", cells[2]):
            rows[cells[0]] = int(cells[2])
    assert rows == CASES


def test_download_names_from_the_server_stay_in_the_directory(tmp_path: Path) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    done = export("exp_p", "DONE", exported_object="../../ESCAPED")

    def script(request: Request, state: Hostile) -> Answer:
        if request.path.startswith("/dl"):
            return Answer(200, CSV, {"Content-Type": "text/csv"})
        return Answer(200, done | {"result": {"url": f"{state.base_url}/dl?token=t"}})

    with hostile_server(script) as hostile:
        result = run(hostile, "download", "exp_p", "--output-dir", str(work))
    assert result.exit_code == 0, result.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [work / "ESCAPED-exp_p.csv"]


@pytest.mark.parametrize(("export_id", "message"), [("..", "cannot name a file"), ("x" * 300, "at most 223 bytes")])
def test_server_ids_that_cannot_name_a_file(export_id: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    with hostile_server(exporting(export_id)) as hostile:
        result = run(hostile, "voucher", "-o", str(tmp_path / "sub" / "{id}" / "x.csv"))
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_too_long_name_is_refused_before_submitting(tmp_path: Path) -> None:
    with hostile_server(exporting("exp_n")) as hostile:
        result = run(hostile, "voucher", "-o", str(tmp_path / ("n" * 250 + "-{id}.csv")))
    assert result.exit_code == 2, result.stderr
    assert "at most 223 bytes" in result.stderr
    assert hostile.paths("POST") == []
