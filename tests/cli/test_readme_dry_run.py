"""Every export command line of the README, run with --dry-run: each body it would POST validates against the
request schemas in tests/data (with the two amendments of tests/request/test_request_schema.py: booleans and
presence as `true`, as real clients send them).

A new README example is checked without touching this file; one whose endpoint has no request schema here fails.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from exportctl.cli.app import app
from exportctl.schema import BY_COMMAND, DOCUMENTED
from tests.request.request_schema import EXPORTS, RESOURCE_BODIES, RESOURCES, errors
from tests.test_readme import COMMANDS as PASTED

ROOT = Path(__file__).parents[2]
# Global options before the subcommand, with whether they take a value; they choose credentials and hosts,
# which a dry run needs neither of.
GLOBAL_OPTIONS = {"--sandbox": False, "--profile": True, "--region": True, "--api-url": True}
# The OpenAPI field enums leave out the fields under the prefixes the documented export object allows.
DOCUMENTED_PREFIXES = ("metadata.", "address.", "summary.", "loyalty.", "system_metadata.")
SEPARATORS = {"&&", "||", "|", ";", ">", ">>"}


def _shell_lines(readme: str) -> list[str]:
    lines: list[str] = []
    for block in re.findall(r"```(?:bash|sh|console)\n(.*?)```", readme, flags=re.S):
        lines += block.replace("\\\n", " ").splitlines()
    return lines


def readme_commands() -> list[list[str]]:
    """The argv of every README `exportctl OBJECT ...` and `exportctl run ...` line, global options dropped.

    Lines that show a refusal (`...; echo "exit $?"`, or a command its `readme-test` mark expects to fail)
    are left out: they send nothing.
    """
    refusals = {pasted.command for pasted in PASTED if pasted.exit_code != 0}
    commands = []
    for line in _shell_lines((ROOT / "README.md").read_text(encoding="utf-8")):
        if "exit $?" in line or line.strip() in refusals:
            continue
        tokens = shlex.split(line, comments=True)
        for at, token in enumerate(tokens):
            if token != "exportctl" and not token.endswith("$(exportctl"):
                continue
            argv: list[str] = []
            for item in tokens[at + 1 :]:
                if item in SEPARATORS:
                    break
                argv.append(item.rstrip(")"))
                if item.endswith(")"):
                    break
            while argv and argv[0] in GLOBAL_OPTIONS:
                argv = argv[1 + GLOBAL_OPTIONS[argv[0]] :]
            argv = _without_servers(argv)
            if argv and (argv[0] in BY_COMMAND or argv[0] == "run"):
                commands.append(argv)
    return commands


def _without_servers(argv: list[str]) -> list[str]:
    """`argv` without `--into postgres://...`: the README's servers are examples (a dry run would reach them),
    and the body a command sends does not depend on where it loads."""
    kept: list[str] = []
    skip = False
    for index, item in enumerate(argv):
        if skip:
            skip = False
            continue
        following = argv[index + 1] if index + 1 < len(argv) else ""
        if item == "--into" and following.startswith(("postgres:", "postgresql:")):
            skip = True
            continue
        kept.append(item)
    return kept


def _schema_for(endpoint: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if endpoint == "/v1/exports":
        return EXPORTS["components"]["schemas"]["ExportsCreateRequestBody"], EXPORTS
    for template, name in RESOURCE_BODIES.items():
        if re.fullmatch(re.escape(template).replace(re.escape("{value}"), "[^/]+"), endpoint):
            return RESOURCES["components"]["schemas"][name], RESOURCES
    raise AssertionError(f"no request schema in tests/data for {endpoint}")


def _as_the_schema_sees_it(body: dict[str, Any]) -> dict[str, Any]:
    fields = body.get("parameters", {}).get("fields")
    if fields is None:
        return body
    kept = [f for f in fields if not f.startswith(DOCUMENTED_PREFIXES) and f != "metadata"]
    parameters = (
        {**body["parameters"], "fields": kept}
        if kept
        else {k: v for k, v in body["parameters"].items() if k != "fields"}
    )
    return {**body, "parameters": parameters}


COMMANDS = readme_commands()
UNDOCUMENTED = {obj.exported_object for obj in BY_COMMAND.values() if obj.source != DOCUMENTED}


def test_the_readme_has_export_examples_to_check() -> None:
    assert len(COMMANDS) >= 20
    assert ["order", "--since", "2026-01-01", "--until", "2026-02-01", "-o", "january.csv"] in COMMANDS


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_every_readme_example_sends_bodies_the_request_schemas_accept(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "sample-configs", tmp_path / "sample-configs")
    shutil.copy(ROOT / "sample-configs" / "order.yaml", tmp_path / "orders.yaml")  # the README's own example file
    (tmp_path / "exports").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("VOUCHERIFY_APP_ID", "VOUCHERIFY_APP_TOKEN", "VOUCHERIFY_SECRET_KEY", "EXPORTCTL_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["--api-url", "http://127.0.0.1:9", *argv, "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    plans = document if isinstance(document, list) else [document]
    requests = [request for plan in plans for request in plan["requests"]]
    assert requests
    for request in requests:
        if request["body"].get("exported_object") in UNDOCUMENTED:
            continue  # product, sku, api_log: in no document of tests/data (tests/test_schema.py checks the SDK's)
        schema, source = _schema_for(request["endpoint"])
        assert errors(_as_the_schema_sees_it(request["body"]), schema, source) == [], request
