"""Config files that would never finish: a YAML alias inside its own anchor, refused by every command."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from exportctl.request.configfile import load_config

SINGLE = "exported_object: voucher\nparameters: &p {filters: *p}\n"
MULTI = "defaults: &d\n  parameters: {fields: [code], more: *d}\nexports:\n  - {object: voucher, output: v.csv}\n"


def _half_a_gigabyte() -> None:
    # Before the fix the loop grew ~50 MB/s: the limit turns a hang into a quick MemoryError, not a swapping box.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 29, 1 << 29))


def _exportctl(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VOUCHERIFY_APP_ID": "id", "VOUCHERIFY_APP_TOKEN": "t", "XDG_CONFIG_HOME": str(tmp_path)}
    env["VOUCHERIFY_API_BASE_URL"] = "http://127.0.0.1:9"  # never reached: the file is refused offline
    return subprocess.run(
        [sys.executable, "-m", "exportctl", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_half_a_gigabyte,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    ("text", "args"),
    [
        (SINGLE, ("validate", "f.yaml")),
        (SINGLE, ("voucher", "-c", "f.yaml", "-o", "v.csv")),
        (MULTI, ("run", "f.yaml")),
    ],
    ids=["validate", "-c FILE", "run FILE"],
)
def test_a_recursive_alias_is_refused_by_name(text: str, args: tuple[str, ...], tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(text)
    result = _exportctl(tmp_path, *args)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    # The line of the anchor: aliases share its node, so the node knows no other place.
    alias, line = ("*p", 2) if text == SINGLE else ("*d", 1)
    assert f"f.yaml:{line}: the alias '{alias}' is used inside the value its anchor" in output
    assert "recursive alias" in output
    assert "Traceback" not in output
    assert not (tmp_path / "v.csv").exists()


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [1, *a]\n",  # a sequence
        "a: &a\n  <<: *a\n",  # a merge key
        "a: &a {b: {c: [x, {d: *a}]}}\n",  # deep inside
        "x: &x [&y [*x]]\n",  # through another anchor
    ],
)
def test_every_shape_of_recursion_is_caught(text: str, tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(text)
    # In a subprocess with a memory limit: without the check, the walk never ends.
    result = _exportctl(tmp_path, "validate", "f.yaml")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "(a recursive alias)" in result.stdout + result.stderr


def test_shared_aliases_that_do_not_recurse_still_load(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text("a: &a [1, 2]\nb: [*a, *a, {c: *a}]\nd: &d {e: *a}\nf: [*d, *d]\n")
    assert load_config(tmp_path / "f.yaml") == {
        "a": [1, 2],
        "b": [[1, 2], [1, 2], {"c": [1, 2]}],
        "d": {"e": [1, 2]},
        "f": [{"e": [1, 2]}, {"e": [1, 2]}],
    }
