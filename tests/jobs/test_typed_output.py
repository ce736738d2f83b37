"""The staging file of a typed output: where it lives, and hints that never send anyone to it."""

from __future__ import annotations

import re
from pathlib import Path

from exportctl.jobs.typed_output import download_target, keeps_file, stages, staging_path, unstaged_hint
from exportctl.request.into import parse_into
from exportctl.request.model import RunOptions

RANDOM = r"\.[0-9a-f]{16}"


def test_the_staging_file_sits_beside_the_target_or_the_database_under_a_name_of_its_own() -> None:
    typed = RunOptions(format="jsonl")
    first = staging_path(typed, Path("out/v.jsonl"), "voucher")
    assert re.fullmatch(rf"out/\.v\.jsonl{RANDOM}\.staging\.csv", str(first))
    assert staging_path(typed, Path("out/v.jsonl"), "voucher") != first  # no other run computes it
    into = RunOptions(into=parse_into("sqlite:db/w.db#t", "voucher"))
    assert re.fullmatch(rf"db/\.w\.db\.t{RANDOM}\.staging\.csv", str(staging_path(into, None, "voucher")))
    stdout = staging_path(RunOptions(format="jsonl", output_dir="d"), "-", "order")
    assert stdout.parent == Path("d") and re.fullmatch(rf"\.exportctl-order-stdout{RANDOM}\.staging\.csv", stdout.name)
    # A split export's windows resume by the stable name.
    assert staging_path(typed, Path("out/v.jsonl"), "voucher", unique=False) == Path("out/.v.jsonl.staging.csv")


def test_what_the_download_writes() -> None:
    plain = RunOptions()
    assert (stages(plain), keeps_file(plain)) == (False, True)
    assert download_target(plain, "voucher", Path("v.csv")) == Path("v.csv")
    # --into with -o in csv: the CSV is the user's file, loaded from there.
    kept = RunOptions(output="v.csv", into=parse_into("sqlite:w.db", "voucher"))
    assert (stages(kept), keeps_file(kept)) == (False, True)
    alone = RunOptions(into=parse_into("sqlite:w.db", "voucher"))
    assert (stages(alone), keeps_file(alone)) == (True, False)
    named = download_target(RunOptions(format="parquet"), "voucher", lambda export_id: Path(f"v-{export_id}.parquet"))
    assert callable(named) and re.fullmatch(rf"\.v-exp_1\.parquet{RANDOM}\.staging\.csv", str(named("exp_1")))


def test_resume_hints_name_a_csv_of_ones_own_not_the_staging_file() -> None:
    hint = "exportctl wait exp_1 && exportctl download exp_1 -o 'a dir/.v.jsonl.staging.csv'"
    assert unstaged_hint(hint) == (
        "exportctl wait exp_1 && exportctl download exp_1 -o FILE.csv "
        "(that saves the CSV; run this command again for the typed output)"
    )
    assert unstaged_hint("exportctl download exp_1 -o v.csv") == "exportctl download exp_1 -o v.csv"
    assert unstaged_hint(None) is None
