"""files/writeback.py: the kernel is asked to start writing a file's pages early; where it cannot, nothing breaks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from exportctl.files import writeback


def test_write_back_is_started_by_the_kernel_on_linux(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"x" * 10000)
    fd = os.open(path, os.O_RDWR)
    try:
        assert writeback.start_writeback(fd, 0, 10000) == os.uname().sysname.startswith("Linux")
        assert writeback.start_writeback(fd, 0, 0) is False
    finally:
        os.close(fd)
    read_end, write_end = os.pipe()
    try:
        assert writeback.start_writeback(write_end, 0, 10) is False  # a pipe has no pages to write back
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_negative_length_a_closed_descriptor_or_a_huge_range_is_refused_quietly(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"data")
    fd = os.open(path, os.O_RDWR)
    try:
        assert writeback.start_writeback(fd, 0, -5) is False
        assert writeback.start_writeback(fd, 2**62, 2**62) is False  # the range's end overflows: EINVAL
        assert writeback.start_writeback(fd, -1, 10) is False  # EINVAL, not an exception
    finally:
        os.close(fd)
    assert writeback.start_writeback(fd, 0, 10) is False  # EBADF: the descriptor is closed now
    assert path.read_bytes() == b"data"


def test_the_module_imports_without_ctypes_and_then_does_nothing(tmp_path: Path) -> None:
    """Where ctypes cannot load (a stripped interpreter), the download still works: fsync does all the work."""
    path = tmp_path / "x"
    path.write_bytes(b"x" * 100)
    code = (
        "import sys; sys.modules['ctypes'] = None\n"
        "import os\n"
        "from exportctl.files.writeback import start_writeback\n"
        f"fd = os.open({str(path)!r}, os.O_RDWR)\n"
        "print(start_writeback(fd, 0, 100))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "False\n", "")
