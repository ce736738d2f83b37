"""The profile file's read-modify-write is durable: the new text is fsynced before its rename, the directory after."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from exportctl.files.locked_update import update_owner_only
from tests.files.syscalls import record_syscalls


def test_the_new_text_is_fsynced_before_its_rename_and_the_directory_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "profiles.yaml"
    path.write_text("profiles: {old: {}}\n")
    syscalls = record_syscalls(monkeypatch)
    assert update_owner_only(path, lambda text: (text or "") + "# changed\n", wait=1) == path
    assert path.read_text() == "profiles: {old: {}}\n# changed\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    syscalls.assert_durable(path)


HOLD_PROFILE_LOCK = """
import sys
from pathlib import Path
from exportctl.files.locked_update import update_owner_only

def change(text):
    print("inside", flush=True)
    sys.stdin.read()  # keeps the profile file's lock until the test closes our standard input
    return (text or "") + "# first\\n"

update_owner_only(Path(sys.argv[1]), change)
"""


def test_another_process_holding_the_lock_past_the_wait_is_exit_8_and_its_update_lands(tmp_path: Path) -> None:
    import subprocess
    import sys

    from exportctl.errors import ExitCode, LockedError

    path = tmp_path / "config.yaml"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_PROFILE_LOCK, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "inside"
        with pytest.raises(LockedError) as caught:
            update_owner_only(path, lambda text: "# second\n", wait=0.2)
        assert caught.value.exit_code == ExitCode.LOCKED
        assert "for over 0.2 s; nothing was saved" in caught.value.message
        assert holder.stdin is not None
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert path.read_text() == "# first\n"
    update_owner_only(path, lambda text: (text or "") + "# second\n", wait=5)
    assert path.read_text() == "# first\n# second\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
