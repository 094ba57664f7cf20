"""Where one install keeps its own state: the secret key, the class secret, the SQLite database.

Never inside the code tree. The in-browser console runs the AWS CLI with the Python packages it needs; a data
directory apart from the code means no read-only mount or file allow-list the console is given can ever include the
server's secrets or database (issue 22: `.secret_key` and `db.sqlite3` sat in the checkout beside the packages).

`LAB_DATA_DIR` chooses it; the default follows the XDG base directory spec (`$XDG_DATA_HOME/securecart-lab`, else
`~/.local/share/securecart-lab`). Files an older install left in the checkout are moved here once, so an upgrade
keeps every learner's progress and signed-in session. No Django here: scripts/serve_class.py uses it before Django
is set up.
"""
from __future__ import annotations

import os
from pathlib import Path

CODE_DIR = Path(__file__).resolve().parent.parent

# What older installs kept in the checkout -> the name it has in the data directory.
LEGACY_FILES = {".secret_key": "secret_key", ".class-secret-key": "class-secret-key", "db.sqlite3": "db.sqlite3",
                "db.sqlite3-wal": "db.sqlite3-wal", "db.sqlite3-shm": "db.sqlite3-shm"}


class DataDirInsideCode(ValueError):
    pass


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "securecart-lab"


def data_dir() -> Path:
    """The install's data directory, made (mode 0700) if missing, with the checkout's old files moved in."""
    path = Path(os.environ.get("LAB_DATA_DIR") or default_data_dir()).expanduser().resolve()
    if path == CODE_DIR or CODE_DIR in path.parents:
        raise DataDirInsideCode(f"LAB_DATA_DIR ({path}) is inside the code tree ({CODE_DIR}); choose a directory "
                                "outside it, so the console's view of the code can never include the secrets")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    move_legacy_files(path)
    return path


def move_legacy_files(path: Path) -> list[str]:
    """Move files an older install kept in the checkout into `path` (once; an existing file there wins)."""
    moved = []
    for old_name, new_name in LEGACY_FILES.items():
        old, new = CODE_DIR / old_name, path / new_name
        if old.exists() and not new.exists():
            try:
                os.replace(old, new)   # same file system: atomic; another process may have moved it already
            except FileNotFoundError:
                continue
            except OSError:            # another file system: copy, then remove
                import shutil

                shutil.copy2(old, new)
                old.unlink()
            moved.append(old_name)
    return moved
