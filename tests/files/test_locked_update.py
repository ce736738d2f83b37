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
