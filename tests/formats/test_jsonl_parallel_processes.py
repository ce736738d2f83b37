"""A split `--format jsonl` conversion under real signals and real concurrency (subprocesses): no part files,
no worker processes left, and two conversions into one target never mix their files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

SCRIPT = """
import signal, sys
from pathlib import Path
from exportctl.formats.convert import convert_csv
from exportctl.schema import get_object

def stop(signum, frame):
    raise KeyboardInterrupt  # what the CLI does with SIGTERM (cli/app.py)

signal.signal(signal.SIGTERM, stop)
try:
    written = convert_csv(
        get_object("voucher"), Path(sys.argv[1]), Path(sys.argv[2]), output_format="jsonl", fields=None,
        header_style="api", unparsed="keep", force=sys.argv[3] == "force",
    )
except KeyboardInterrupt:
    sys.exit(130)
except Exception as exc:
    print(type(exc).__name__, exc, file=sys.stderr)
    sys.exit(1)
print(written.sha256, written.rows)
"""


def _csv(path: Path, rows: int) -> Path:
    block = "".join(
        f'v_{n:08d},CODE-{n:08d},DISCOUNT_VOUCHER,12.5,"two\nlines ""q""",2026-03-01T12:00:00.000Z,true,{n % 97}\r\n'
        for n in range(1000)
    ).encode()
    with path.open("wb") as handle:
        handle.write(b"ID,Code,Voucher Type,Value,notes,Creation Date,Active,batch\r\n")
        for _ in range(rows // 1000):
            handle.write(block)
    return path


def _start(source: Path, target: Path, *, force: bool = False, workers: str = "2") -> subprocess.Popen[str]:
    env = {**os.environ, "EXPORTCTL_PARALLEL_MIN_MB": "0", "EXPORTCTL_WORKERS": workers}
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(source), str(target), "force" if force else "keep"],
        cwd=source.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(condition: Callable[[], bool], process: subprocess.Popen[str], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            _, stderr = process.communicate()
            raise AssertionError(f"the conversion never got there: {stderr}")
        time.sleep(0.01)


def _parts(directory: Path) -> list[Path]:
    return sorted(directory.glob(".*.jsonl-part"))


def _a_worker_is_writing(directory: Path) -> bool:
    for part in _parts(directory):
        try:
            if part.stat().st_size > 0:
                return True
        except FileNotFoundError:
            pass
    return False


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


def test_sigterm_during_a_split_conversion_leaves_no_part_and_no_worker(tmp_path: Path) -> None:
    source = _csv(tmp_path / "x.csv", 300_000)  # ~35 MB: seconds of work, so the signal lands inside it
    process = _start(source, tmp_path / "out.jsonl")
    _wait(lambda: _a_worker_is_writing(tmp_path), process)
    workers = _children(process.pid)
    assert workers, "no worker process was running"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]  # no part, no target, no temporary file
    assert not [pid for pid in workers if _alive(pid)]


def test_a_parent_killed_outright_leaves_no_worker_and_no_part(tmp_path: Path) -> None:
    source = _csv(tmp_path / "x.csv", 300_000)
    process = _start(source, tmp_path / "out.jsonl")
    _wait(lambda: _a_worker_is_writing(tmp_path), process)
    workers = _children(process.pid)
    assert workers
    process.kill()
    process.communicate(timeout=30)
    deadline = time.monotonic() + 30
    while ([pid for pid in workers if _alive(pid)] or _parts(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)]  # each noticed it was orphaned and stopped
    assert _parts(tmp_path) == []  # and removed its part (the writer's own temporary file is today's, kept)


@pytest.mark.parametrize("force", [False, True])
def test_two_split_conversions_into_one_target_at_once(force: bool, tmp_path: Path) -> None:
    source = _csv(tmp_path / "x.csv", 40_000)
    reference = _start(source, tmp_path / "one.jsonl", workers="1")
    expected, _ = reference.communicate(timeout=120)
    assert reference.returncode == 0
    target = tmp_path / "out.jsonl"
    both = [_start(source, target, force=force, workers="3") for _ in range(2)]
    answers = [process.communicate(timeout=120) for process in both]
    codes = sorted(process.returncode for process in both)
    if force:
        assert codes == [0, 0]
    else:
        assert codes == [0, 1], answers  # one wins; the other is refused, its file not written over the first
        loser = next(stderr for process, (_, stderr) in zip(both, answers, strict=True) if process.returncode)
        assert "appeared while downloading" in loser
        kept = Path(loser.split("the data kept in ")[1].split()[0].rstrip("."))  # as the one pass keeps it
        assert kept.read_bytes() == (tmp_path / "one.jsonl").read_bytes()
        kept.unlink()
    assert all(out == expected for out, _ in answers if out)
    assert target.read_bytes() == (tmp_path / "one.jsonl").read_bytes()  # one whole file, never a mix
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.jsonl", "out.jsonl", "x.csv"]
