"""Import cost is a feature: help, dry runs and TAB completion must not import requests, yaml or the sandbox."""

from __future__ import annotations

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
heavy = {"requests", "yaml", "urllib3"}
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
    [["--help"], ["voucher", "--help"], ["voucher", "--dry-run", "--fields", "code,value"], ["schema", "voucher"]],
    ids=["help", "voucher-help", "dry-run", "schema"],
)
def test_command_does_not_import_heavy_modules(args: list[str]) -> None:
    imported, stdout = _imported(args)
    assert imported == []
    assert stdout


def test_completion_does_not_import_heavy_modules() -> None:
    env = {"_EXPORTCTL_COMPLETE": "complete_bash", "COMP_WORDS": "exportctl voucher --fields co", "COMP_CWORD": "3"}
    imported, stdout = _imported([], env)
    assert imported == []
    assert stdout.split() == ["code"]
