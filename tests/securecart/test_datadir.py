"""The install's data directory (securecart/datadir.py): outside the code tree, always; an older install's secret
key, class secret and SQLite file (with its WAL files) moved there once, so an upgrade loses no learner's work."""
from __future__ import annotations

import pytest
from django.conf import settings

from securecart import datadir


def test_the_settings_keep_secrets_and_database_outside_the_code_tree():
    code = settings.BASE_DIR
    for path in (settings.LAB_DATA_DIR, settings.SECRET_KEY_PATH):
        assert code not in path.parents and path != code
    assert not (code / ".secret_key").exists() and not (code / "db.sqlite3").exists()


def test_a_data_directory_inside_the_code_tree_is_refused(monkeypatch):
    monkeypatch.setenv("LAB_DATA_DIR", str(datadir.CODE_DIR / "data"))
    with pytest.raises(datadir.DataDirInsideCode):
        datadir.data_dir()
    monkeypatch.setenv("LAB_DATA_DIR", str(datadir.CODE_DIR))
    with pytest.raises(datadir.DataDirInsideCode):
        datadir.data_dir()


def test_the_default_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("LAB_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert datadir.default_data_dir() == tmp_path / "xdg" / "securecart-lab"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datadir.default_data_dir() == tmp_path / "home" / ".local" / "share" / "securecart-lab"


def test_an_older_installs_files_move_once_and_never_overwrite(monkeypatch, tmp_path):
    code, data = tmp_path / "checkout", tmp_path / "data"
    code.mkdir()
    data.mkdir()
    monkeypatch.setattr(datadir, "CODE_DIR", code)
    (code / ".secret_key").write_text("old-key")
    (code / "db.sqlite3").write_text("progress")
    (code / "db.sqlite3-wal").write_text("wal")
    (code / ".class-secret-key").write_text("class")
    (data / "class-secret-key").write_text("already here")
    moved = datadir.move_legacy_files(data)
    assert sorted(moved) == [".secret_key", "db.sqlite3", "db.sqlite3-wal"]
    assert (data / "secret_key").read_text() == "old-key" and (data / "db.sqlite3").read_text() == "progress"
    assert (data / "class-secret-key").read_text() == "already here"      # the data directory's own wins
    assert not (code / ".secret_key").exists() and (code / ".class-secret-key").exists()
    assert datadir.move_legacy_files(data) == []
