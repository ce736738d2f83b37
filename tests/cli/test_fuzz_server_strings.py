"""Property-based: hostile server strings (ids, statuses, objects, URLs) through the reporters, `list`,
`status`, error messages and the target templates: no crash, no control character for the terminal, and
no path outside the target directory."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from exportctl.cli.app import app
from exportctl.cli.reporters import LiveReporter, PlainReporter
from exportctl.errors import UsageError
from exportctl.events import (
    DownloadProgress,
    DownloadStarted,
    Event,
    HttpExchange,
    Polled,
    Retrying,
    Saved,
    StatusChanged,
    Submitted,
)
from exportctl.files.targets import resolve_target
from tests.cli.hostile import Answer, Hostile, export, hostile_server

BOUNDED = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# What a terminal must never receive from the network: C0/C1 controls (but the newline that ends our
# own lines), DEL, bidirectional overrides, lone surrogates.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Strings a hostile server would send: markup, escapes, path tricks, and anything at all.
TRICKS = st.sampled_from(
    [
        "[/bold]",
        "exp_[/]x",
        "[red]",
        "\x1b]0;title\x07",
        "\x1b[2J",
        "\n2026-01-01T00:00:00Z forged",
        "\r",
        "../..",
        "..",
        ".",
        "/etc/passwd",
        "\u202e",
        "\x9b31m",
        "\x00",
        "\u2028",
        "\\",
        "{id}",
        "%s",
        "x" * 300,
    ]
)
SERVER_TEXT = st.lists(st.one_of(TRICKS, st.text(max_size=20)), min_size=0, max_size=4).map("".join)


def events(export_id: str, status: str, obj: str, url: str) -> list[Event]:
    return [
        Submitted(export_id, obj),
        StatusChanged(export_id, status, None, 0.5),
        Polled(export_id, status, 1.0, 2.0),
        Retrying("GET", url, status, 1, 0.5),
        HttpExchange("GET", url, 200, 0.01, 3),
        DownloadStarted(export_id, url, 100, 0),
        DownloadProgress(export_id, 50, 100),
        Saved(export_id, url, 100, 1, "0" * 64, 0.2),
    ]


@BOUNDED
@given(export_id=SERVER_TEXT, status=SERVER_TEXT, obj=SERVER_TEXT, url=SERVER_TEXT)
def test_plain_reporter_writes_one_clean_line_per_event(export_id: str, status: str, obj: str, url: str) -> None:
    stream = io.StringIO()
    reporter = PlainReporter(stream, verbose=True)
    shown = events(export_id, status, obj, url)
    for event in shown:
        reporter(event)
    text = stream.getvalue()
    assert not CONTROL.search(text), repr(text)
    assert len(text.splitlines()) == 6  # every event but Polled and DownloadProgress, one line each


@BOUNDED
@given(export_id=SERVER_TEXT, status=SERVER_TEXT, obj=SERVER_TEXT, url=SERVER_TEXT)
def test_live_reporter_never_reads_server_text_as_markup(export_id: str, status: str, obj: str, url: str) -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=100, color_system=None)
    with LiveReporter(console, verbose=True) as reporter:
        for event in events(export_id, status, obj, url):
            reporter(event)
    # Without colour the only escapes are rich's own cursor moves of the live display; nothing else.
    text = re.sub(r"\x1b\[(\?25[lh]|\d*[ABCDGKJ]|2K)", "", stream.getvalue())
    assert not CONTROL.search(text.replace("\r", "")), repr(text)


@BOUNDED
@given(
    export_id=SERVER_TEXT, obj=SERVER_TEXT, template=st.sampled_from(["{object}-{id}.csv", "sub/{id}/x.csv", "{id}"])
)
def test_target_templates_stay_in_the_directory(export_id: str, obj: str, template: str, tmp_path: Path) -> None:
    base = (tmp_path / "out").resolve()
    try:
        target = resolve_target(
            template,
            command=obj,
            export_id=export_id,
            output_dir=str(base),
            now=datetime(2026, 1, 2, tzinfo=timezone.utc),
        )
    except UsageError as error:
        assert error.exit_code == 2
        return
    assert target != "-"
    assert isinstance(target, Path)
    resolved = Path(str(target)).resolve()
    assert resolved.is_relative_to(base), (template, export_id, obj, target)
    assert resolved != base


ANSWER: dict[str, Any] = {}


@pytest.fixture(scope="module")
def server() -> Iterator[Hostile]:
    """One server for every example: it answers whatever the example put in ANSWER."""
    with hostile_server(lambda request, state: Answer(200, ANSWER["body"])) as running:
        yield running


@settings(BOUNDED, max_examples=40)
@given(export_id=SERVER_TEXT, status=SERVER_TEXT, obj=SERVER_TEXT, url=SERVER_TEXT)
def test_list_and_status_show_server_text_literally(
    export_id: str, status: str, obj: str, url: str, server: Hostile
) -> None:
    one = export(export_id, status, exported_object=obj, result={"url": url})
    credentials = ["--api-url", server.base_url, "--app-id", "i", "--app-token", "sk_token"]
    ANSWER["body"] = {"object": "list", "exports": [one], "total": 1}
    listed = CliRunner().invoke(app, [*credentials, "list"], env={"COLUMNS": "300"})
    ANSWER["body"] = one
    shown = CliRunner().invoke(app, [*credentials, "status", "exp_x"])
    for result in (listed, shown):
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 0, result.output
        # `list` without a terminal prints TSV: its tabs are ours, the server's became spaces.
        lines = result.stdout.splitlines()
        assert not CONTROL.search(result.stdout.replace("\t", " ") + result.stderr), repr(result.stdout)
        assert all(line.count("\t") in (0, 4) for line in lines), repr(result.stdout)
