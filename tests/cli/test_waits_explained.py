"""A wait of a few seconds says why in the plain log: here a 429 from the sandbox's rate-limit injection."""

from __future__ import annotations

import re

import pytest

from tests.cli.conftest import Cli


@pytest.mark.parametrize("verbose", [False, True])
def test_a_rate_limited_call_says_it_waits_for_the_api_and_until_when(cli: Cli, verbose: bool) -> None:
    cli.sandbox.faults.rate_limit_burst(1, retry_after=6)
    result = cli(*(["--verbose"] if verbose else []), "voucher", "-o", "v.csv")
    assert result.exit_code == 0, result.output
    log = " ".join(result.stderr.split())
    assert re.search(
        r"retrying POST \S+ in 6\.\ds \(until \d\d:\d\d:\d\d UTC\): 429 rate limited \(api_calls\)", log
    ), log
    assert ("-> 429" in log) == verbose
