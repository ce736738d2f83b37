"""Import cost is a feature: help, dry runs and TAB completion must not import requests, yaml or the sandbox;
nothing but `--format parquet` and `--into duckdb:` imports the warehouse extra (duckdb, pyarrow), nothing but
`--into postgres://` the postgres extra (psycopg)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, sys
from exportctl.cli.app import app
try:
    app(sys.argv[1:], prog_name="exportctl")
except SystemExit:
    pass
heavy = {"requests", "yaml", "urllib3", "duckdb", "pyarrow", "numpy", "psycopg", "dlt"}
loaded = [m for m in sys.modules if m.split(".")[0] in heavy or m.startswith(("exportctl.sandbox", "exportctl.client"))]
print(json.dumps(sorted(loaded)), file=sys.stderr)
"""


def _imported(args: list[str], env: dict[str, str] | None = None) -> tuple[list[str], str]:
    """The heavy modules that running the CLI with `args` imported, and what it printed on stdout."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return list(json.loads(result.stderr.strip().splitlines()[-1])), result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["voucher", "--help"],
        ["voucher", "--dry-run", "--fields", "code,value"],
        ["voucher", "--dry-run", "--format", "jsonl", "--into", "sqlite:w.db"],
        ["schema", "voucher"],
    ],
    ids=["help", "voucher-help", "dry-run", "dry-run-typed", "schema"],
)
def test_command_does_not_import_heavy_modules(args: list[str]) -> None:
    imported, stdout = _imported(args)
    assert imported == []
    assert stdout


EXPORT_PROBE = """
import json, sys
from exportctl.cli.app import app
try:
    app(sys.argv[1:], prog_name="exportctl")
except SystemExit as stop:
    code = stop.code
extras = ("duckdb", "pyarrow", "psycopg")
print(json.dumps({"code": code, "loaded": sorted(m for m in sys.modules if m.split(".")[0] in extras)}))
"""


def test_csv_and_jsonl_exports_never_import_the_warehouse_extra(sandbox, tmp_path) -> None:
    credentials = ["--api-url", sandbox.base_url, "--app-id", sandbox.app_id, "--app-token", sandbox.secret_key]
    seen = {}
    # Without the extra (`pip install -e '.[test]'`) parquet is refused: the two that need nothing still count.
    extra = all(importlib.util.find_spec(name) is not None for name in ("duckdb", "pyarrow"))
    for fmt in ("csv", "jsonl", "parquet") if extra else ("csv", "jsonl"):
        args = [*credentials, "--quiet", "order", "--format", fmt, "-o", str(tmp_path / f"o.{fmt}")]
        run = subprocess.run([sys.executable, "-c", EXPORT_PROBE, *args], capture_output=True, text=True, check=False)
        seen[fmt] = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["csv"] == seen["jsonl"] == {"code": 0, "loaded": []}
    # The test is able to see the import: parquet does load both.
    if extra:
        assert seen["parquet"]["code"] == 0 and {"duckdb", "pyarrow"} <= set(seen["parquet"]["loaded"])


def test_completion_does_not_import_heavy_modules() -> None:
    env = {"_EXPORTCTL_COMPLETE": "complete_bash", "COMP_WORDS": "exportctl voucher --fields co", "COMP_CWORD": "3"}
    imported, stdout = _imported([], env)
    assert imported == []
    assert stdout.split() == ["code"]


# What each start-up path may load, found with `python -X importtime` and callgrind (docs/performance.md,
# "Start-up"): each module and each dataclass created at import costs a share of a millisecond, and these
# three paths are timed against `import typer` (benchmarks/startup.py).
LOADED_PROBE = """
import json, sys
import typer
before = set(sys.modules)
from exportctl.cli.app import app
try:
    app(sys.argv[1:], prog_name="exportctl")
except SystemExit:
    pass
print(json.dumps(sorted(set(sys.modules) - before)), file=sys.stderr)
"""
TAB_ENV = {"_EXPORTCTL_COMPLETE": "complete_bash", "COMP_WORDS": "exportctl voucher --fields co", "COMP_CWORD": "3"}
# Never on any of the three paths: hashing and secrets (hashlib's OpenSSL start is milliseconds), gzip,
# csv, the event classes, the HTTP side, YAML.
NEVER_AT_START = {
    "hashlib",
    "_hashlib",
    "secrets",
    "gzip",
    "csv",
    "yaml",
    "requests",
    "exportctl.events",
    "exportctl.jobs.single",
    "exportctl.files.csv_header",
}


def _loaded(args: list[str], env: dict[str, str] | None = None) -> set[str]:
    """Every module that running the CLI with `args` loaded beyond what `import typer` loads."""
    result = subprocess.run(
        [sys.executable, "-c", LOADED_PROBE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


def test_help_loads_the_command_table_and_nothing_of_the_request_layer() -> None:
    loaded = _loaded(["--help"])
    ours = {m for m in loaded if m.startswith("exportctl")}
    assert ours == {
        "exportctl",
        "exportctl.cli",
        "exportctl.cli.app",
        "exportctl.cli.completion_sources",
        "exportctl.cli.global_options",
        "exportctl.cli.typer_internals",
        "exportctl.errors",
        "exportctl.schema",
        "exportctl.version",
    }
    # The schema's records are NamedTuples: --help creates no dataclass, so it never imports the module.
    assert "dataclasses" not in loaded
    assert not loaded & NEVER_AT_START


def test_completion_builds_the_command_without_the_filter_parser() -> None:
    loaded = _loaded([], TAB_ENV)
    # JUNCTIONS, SPLIT_UNITS and the grammar's help text live apart from the parsers they describe.
    for parser in ("filters", "values", "operators", "windows", "build"):
        assert f"exportctl.request.{parser}" not in loaded
    assert "exportctl.cli.app_state" not in loaded  # created by the root callback, which completion never runs
    assert "dataclasses" not in loaded  # the option table and the request records are NamedTuples
    assert not loaded & NEVER_AT_START


def test_dry_run_loads_no_hashing_compression_events_or_csv() -> None:
    loaded = _loaded(["voucher", "--dry-run", "--fields", "code,value"])
    assert "exportctl.jobs.plan" in loaded  # the probe ran the dry run
    assert "dataclasses" not in loaded  # no dataclass is created before a request is sent
    assert not loaded & NEVER_AT_START


DOOR_PROBE = """
import json, sys
import exportctl
def heavy(names, prefix):
    return sorted(m for m in sys.modules if m.split(".")[0] in names or m.startswith(prefix))
before = heavy({"requests", "yaml", "urllib3", "duckdb", "pyarrow", "psycopg", "dlt"}, "exportctl.")
exportctl.plan("voucher", fields=["code"])
after = heavy({"requests", "urllib3"}, "exportctl.client")
print(json.dumps({"before": before, "after": after, "export": callable(exportctl.export)}))
"""


def test_the_library_door_imports_nothing_until_used_and_plan_stays_offline() -> None:
    result = subprocess.run([sys.executable, "-c", DOOR_PROBE], capture_output=True, text=True, check=True)
    seen = json.loads(result.stdout)
    # `import exportctl` is what every CLI start pays: only the package itself.
    assert seen["before"] == []
    # Planning validates offline: no HTTP client is loaded for it.
    assert seen["after"] == []
    assert seen["export"] is True


def test_the_door_names_resolve_to_the_documented_objects() -> None:
    import exportctl
    from exportctl import errors, library, settings

    assert exportctl.export is library.export and exportctl.plan is library.plan
    assert exportctl.Settings is settings.Settings
    assert issubclass(exportctl.ValidationError, exportctl.UsageError)
    assert exportctl.UsageError is errors.UsageError
    assert sorted(exportctl.__all__) == sorted(exportctl._EXPORTS)


RICH_PROBE = """
import json, sys
from exportctl.cli.app import app
code = 0
try:
    app(sys.argv[1:], prog_name="exportctl")
except SystemExit as stop:
    code = stop.code
polling = ("exportctl.jobs.poll", "exportctl.jobs.schedule")
loaded = [m for m in sys.modules if m.split(".")[0] == "rich" or m in polling]
print(json.dumps({"code": code, "loaded": sorted(loaded)}))
"""


def test_a_quiet_download_imports_neither_rich_nor_the_polling_schedule(sandbox, tmp_path) -> None:
    """Issue 22's fixed cost: `--quiet` needs no console (rich's progress bars cost more than a 0.5 MB download),
    and a download alone never polls."""
    import requests

    session = requests.Session()
    session.headers.update(sandbox.headers)
    export = session.post(f"{sandbox.base_url}/v1/exports", json={"exported_object": "order"}, timeout=30).json()
    while export["status"] not in ("DONE", "ERROR"):
        export = session.get(f"{sandbox.base_url}/v1/exports/{export['id']}", timeout=30).json()
    credentials = ["--api-url", sandbox.base_url, "--app-id", sandbox.app_id, "--app-token", sandbox.secret_key]
    args = [*credentials, "--quiet", "download", export["id"], "-o", str(tmp_path / "o.csv")]
    run = subprocess.run([sys.executable, "-c", RICH_PROBE, *args], capture_output=True, text=True, check=False)
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {"code": 0, "loaded": []}
    assert (tmp_path / "o.csv").stat().st_size > 0
