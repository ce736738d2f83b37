"""The API's four `/v1/loyalties/*/export` endpoints are deprecated ("Legacy loyalty API", 2026-07-17) but
still work: the options that use them say so in `--help`, and they keep exporting."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from exportctl.cli.app import app
from exportctl.schema import EXPORT_OBJECTS
from tests.cli.conftest import Cli


def _help(command: str) -> str:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return " ".join(result.stdout.split())


def test_the_options_on_legacy_endpoints_say_so() -> None:
    points = _help("points-expiration")
    assert "--campaign uses the API's legacy loyalty endpoint" in points
    assert "POST/v1/loyalties/{value}/points-expiration/export" in "".join(points.split())
    loyalty = _help("loyalty-card-transactions")
    assert "--campaign and --member use the API's legacy loyalty endpoints" in loyalty
    for path in (
        "/v1/loyalties/{value}/transactions/export",
        "/v1/loyalties/members/{value}/transactions/export",
        "/v1/loyalties/{campaign}/members/{value}/transactions/export",
    ):
        assert f"POST{path}" in "".join(loyalty.split()), "help wraps long paths anywhere"
    assert loyalty.count("Legacy: the API marks this endpoint deprecated since 2026-07-17") == 2


@pytest.mark.parametrize(
    "command",
    [obj.command for obj in EXPORT_OBJECTS if obj.command not in ("points-expiration", "loyalty-card-transactions")],
)
def test_other_commands_say_nothing_of_legacy(command: str) -> None:
    assert "legacy" not in _help(command).lower()


def test_a_legacy_endpoint_still_exports(cli: Cli) -> None:
    everything = cli("points-expiration", "--fields", "campaign_id", "-o", "-")
    campaign = everything.stdout.splitlines()[1]
    scoped = cli("--verbose", "points-expiration", "--campaign", campaign, "--fields", "campaign_id", "-o", "-")
    assert scoped.exit_code == 0, scoped.output
    assert f"/v1/loyalties/{campaign}/points-expiration/export" in scoped.stderr
    assert set(scoped.stdout.splitlines()[1:]) == {campaign}
