"""Issue 22's guard: no speed-up of the data path changes a value.

The four typed outputs (`--format jsonl` byte for byte, `--format parquet`, `--into sqlite:`, `--into duckdb:`
cell for cell with their types, and a merge's counts) of the edge-case table are compared with the golden
that the code before the speed-ups produced (tests/data/golden/typed_outputs.json, written by
`python -m tests.formats.golden_outputs` on main at 8c3d297).
"""

from __future__ import annotations

import json

import pytest

from tests.formats.golden_outputs import GOLDEN, snapshot

pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    # Through JSON, as the golden was written: tuples become lists alike.
    return json.loads(json.dumps(snapshot(tmp_path_factory.mktemp("golden"))))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def golden() -> dict[str, object]:
    return json.loads(GOLDEN.read_text(encoding="ascii"))  # type: ignore[no-any-return]


def test_every_scenario_is_in_the_golden(found: dict[str, object], golden: dict[str, object]) -> None:
    assert sorted(found) == sorted(golden)


@pytest.mark.parametrize("path", ["jsonl", "parquet", "sqlite", "duckdb", "sqlite_merge", "duckdb_merge"])
def test_each_output_is_the_golden_one(
    path: str, found: dict[str, dict[str, object]], golden: dict[str, dict[str, object]]
) -> None:
    compared = 0
    for scenario, entry in golden.items():
        if path not in entry:
            continue
        want, got = entry[path], found[scenario][path]
        assert isinstance(want, dict) and isinstance(got, dict)
        for key in want:
            if key == "lines":  # first difference by line, readable
                for number, (a, b) in enumerate(zip(got[key], want[key], strict=True)):
                    assert a == b, f"{scenario} {path} line {number + 1}"
            assert got[key] == want[key], f"{scenario} {path} {key}"
        compared += 1
    assert compared >= (1 if "merge" in path else 5)


def test_the_golden_holds_the_brief_s_edge_cases(golden: dict[str, dict[str, dict[str, object]]]) -> None:
    text = json.dumps(golden)
    for cell in ("02139", "+4915112345678", "12345678901234567891", "1e5", "1.50", "+01:00", "_unparsed"):
        assert cell in text, cell
