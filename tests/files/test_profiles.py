"""The profile file as `login` writes it: never through a planted link, into a symlink's target, 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from exportctl.errors import ConfigError, ExitCode, OutputError
from exportctl.files.profiles import save_profile

SECRET = "sk-7d21c0ffee-secret"


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config" / "exportctl" / "config.yaml"
    path.parent.mkdir(parents=True)
    return path


def test_a_link_planted_at_a_temporary_name_receives_nothing(tmp_path: Path) -> None:
    """The name the temporary file used to have (`.config.yaml.PID.tmp`) is not written through."""
    path = _config(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("the victim's own data\n")
    victim.chmod(0o644)
    planted = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    planted.symlink_to(victim)
    save_profile(path, "live", {"app_id": "app-1", "app_token": SECRET})
    assert victim.read_text() == "the victim's own data\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert yaml.safe_load(path.read_text())["profiles"]["live"]["app_token"] == SECRET
    assert planted.is_symlink()  # left alone, not followed, not renamed into place
    leftovers = {p.name for p in path.parent.iterdir()} - {path.name, planted.name, f".{path.name}.lock"}
    assert leftovers == set()


def test_the_file_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    path = _config(tmp_path)
    path.write_text("profiles:\n  old:\n    app_id: a\n    app_token: b\n")
    path.chmod(0o644)
    previous = os.umask(0)
    try:
        save_profile(path, "live", {"app_id": "app-1", "app_token": SECRET})
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(yaml.safe_load(path.read_text())["profiles"]) == {"old", "live"}


def test_a_symlinked_profile_file_stays_a_link_and_its_target_is_updated(tmp_path: Path) -> None:
    path = _config(tmp_path)
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "exportctl.yaml"
    target.write_text("default_profile: old\nprofiles:\n  old:\n    app_id: a\n    app_token: bbbb\n")
    relative = os.path.relpath(target, path.parent)
    path.symlink_to(relative)
    became_default = save_profile(path, "live", {"app_id": "app-1", "app_token": SECRET})
    assert not became_default
    assert path.is_symlink() and os.readlink(path) == relative
    saved = yaml.safe_load(target.read_text())
    assert saved["default_profile"] == "old" and set(saved["profiles"]) == {"old", "live"}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # The temporary file and the lock live beside the target, not beside the link.
    assert {p.name for p in path.parent.iterdir()} == {path.name}
    assert {p.name for p in dotfiles.iterdir()} == {target.name, f".{target.name}.lock"}


def test_a_link_to_nothing_is_refused_by_name_and_nothing_is_written(tmp_path: Path) -> None:
    path = _config(tmp_path)
    path.symlink_to(tmp_path / "dotfiles" / "missing.yaml")
    with pytest.raises(ConfigError) as raised:
        save_profile(path, "live", {"app_id": "app-1", "app_token": SECRET})
    assert raised.value.exit_code == ExitCode.USAGE
    assert str(path) in raised.value.message and "does not exist" in raised.value.message
    assert path.is_symlink() and {p.name for p in path.parent.iterdir()} == {path.name}
    assert not (tmp_path / "dotfiles").exists()


def test_a_loop_of_links_is_refused_by_name(tmp_path: Path) -> None:
    path = _config(tmp_path)
    other = path.with_name("other.yaml")
    path.symlink_to(other.name)
    other.symlink_to(path.name)
    with pytest.raises(ConfigError, match="loop of symbolic links"):
        save_profile(path, "live", {"app_id": "app-1", "app_token": SECRET})
    assert path.is_symlink() and other.is_symlink()
    assert {p.name for p in path.parent.iterdir()} == {path.name, other.name}


def test_a_link_planted_at_the_lock_file_is_not_opened(tmp_path: Path) -> None:
    path = _config(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    path.with_name(f".{path.name}.lock").symlink_to(victim)
    with pytest.raises(OutputError, match="symbolic link"):
        save_profile(path, "live", {"app_id": "app-1", "app_token": SECRET})
    assert victim.read_text() == "mine\n" and not path.exists()


def test_a_lock_held_too_long_ends_in_exit_8_and_saves_nothing(tmp_path: Path) -> None:
    import fcntl

    from exportctl.errors import LockedError
    from exportctl.files.locked_update import update_owner_only

    path = _config(tmp_path)
    path.write_text("profiles: {}\n")
    lock = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run, stopped while holding it
        with pytest.raises(LockedError) as raised:
            update_owner_only(path, lambda text: "profiles: {changed: {}}\n", wait=0.2)
    finally:
        os.close(lock)
    assert raised.value.exit_code == ExitCode.LOCKED
    assert str(path) in raised.value.message and "nothing was saved" in raised.value.message
    assert path.read_text() == "profiles: {}\n"
    update_owner_only(path, lambda text: "profiles: {changed: {}}\n", wait=0.2)  # released: it goes through
    assert path.read_text() == "profiles: {changed: {}}\n"


def test_a_profile_file_written_before_the_store_is_updated_in_place(tmp_path: Path) -> None:
    import shutil

    path = _config(tmp_path)
    shutil.copy(Path(__file__).resolve().parent.parent / "data" / "state" / "config.yaml", path)
    assert save_profile(path, "dev", {"app_id": "id-dev", "secret_key": SECRET}) is False
    data = yaml.safe_load(path.read_text())
    assert data["default_profile"] == "prod"
    assert sorted(data["profiles"]) == ["dev", "prod", "staging"]
    assert data["profiles"]["prod"]["api_url"] == "https://api.voucherify.io"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
