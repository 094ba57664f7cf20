"""Challenge packs: folders of challenge files, loaded from the folders the LAB_CHALLENGE_PACKS setting names.

Each folder named by the setting holds packs; each pack is a sub-folder whose `*.yaml` files are its challenges, in
file-name order. A pack is taken whole or not at all: one invalid file, two challenges with one slug, a defence
that follows no attacker challenge, or a slug another pack already has, and the pack is refused with its reasons
(shown on /challenges/ and by `manage.py challenges check`), while every other pack still loads. Nothing a pack says
can break the site: parsing never runs code (YAML's safe loader, no tags), files and packs have size limits, and
every reference is checked before a challenge is offered.

Packs are read once per process, on first use; `reload()` reads them again (tests, `manage.py challenges`).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from .schema import ChallengeFileError, ChallengeSpec, FileError, References, parse_file

log = logging.getLogger(__name__)

MAX_FILES_PER_PACK = 100
MAX_PACKS = 50


@dataclass
class RefusedPack:
    name: str
    errors: list[FileError]

    @property
    def reasons(self) -> list[str]:
        return [str(e) for e in self.errors]


@dataclass
class Catalog:
    challenges: list[ChallengeSpec] = field(default_factory=list)
    by_slug: dict[str, ChallengeSpec] = field(default_factory=dict)
    pack_of: dict[str, str] = field(default_factory=dict)
    refused: list[RefusedPack] = field(default_factory=list)


def references() -> References:
    """What challenge files may name from the running lab: the world's users and the scenarios."""
    from sandboxes import world
    from scenarios import registry

    users = {(spec.account, spec.name) for spec in world.world_users()}
    users |= {(account, world.ADMIN_USER) for account in ("production", "developer", "auditor")}
    return References(users=users, scenarios=set(registry.all_scenarios()))


def pack_folders() -> list[Path]:
    """The packs under every folder LAB_CHALLENGE_PACKS names (a folder that does not exist holds none)."""
    found = []
    for root in settings.LAB_CHALLENGE_PACKS:
        root = Path(root)
        if root.is_dir():
            found += sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    return found


def shown_name(path: Path) -> str:
    """A file as messages show it: pack/file.yaml, never the server's own paths."""
    return f"{path.parent.name}/{path.name}"


def load_pack(folder: Path, refs: References, taken: dict[str, str]) -> tuple[list[ChallengeSpec], list[FileError]]:
    """The pack's challenges, or the reasons it is refused (then the list is empty)."""
    files = sorted(folder.glob("*.yaml"))
    name = folder.name
    if len(files) > MAX_FILES_PER_PACK:
        return [], [FileError(name, 1, 1, "(the pack)", f"{len(files)} files; a pack holds at most "
                                                          f"{MAX_FILES_PER_PACK}")]
    specs, errors = [], []
    # attacks first: a defence (`follows`) is checked against the users its attack seeds
    ordered = sorted(files, key=lambda path: _follows_something(path))
    for path in ordered:
        try:
            spec = parse_file(path, refs, shown_as=shown_name(path))
        except ChallengeFileError as error:
            errors += error.errors
            continue
        specs.append((path, spec))
        if spec.track == "attacker":
            refs.challenge_users[spec.slug] = {(u.account, u.name) for u in spec.seed.users}
    specs.sort(key=lambda item: files.index(item[0]))
    slugs: dict[str, Path] = {}
    for path, spec in specs:
        if spec.slug in slugs:
            errors.append(FileError(shown_name(path), 1, 1, "slug", f"`{spec.slug}` is also the slug of "
                                    f"{slugs[spec.slug].name}"))
        elif spec.slug in taken:
            errors.append(FileError(shown_name(path), 1, 1, "slug", f"`{spec.slug}` is already a challenge of the "
                                    f"pack `{taken[spec.slug]}`"))
        slugs[spec.slug] = path
    seeded: dict[tuple[str, str, str], str] = {}
    for path, spec in specs:   # one reset must never delete another challenge's entities
        for kind in ("roles", "users", "groups", "policies"):
            for entity in getattr(spec.seed, kind):
                key = (kind, entity.account, entity.name)
                if key in seeded:
                    errors.append(FileError(shown_name(path), 1, 1, f"seed.{kind}", f"{entity.name} is also seeded by "
                                            f"`{seeded[key]}`; each challenge seeds entities of its own"))
                seeded[key] = spec.slug
    if errors:
        return [], errors
    if not specs:
        return [], [FileError(name, 1, 1, "(the pack)", "no *.yaml challenge files")]
    return [spec for _, spec in specs], []


def _follows_something(path: Path) -> bool:
    """Whether the file is a defence, read cheaply (a file that does not read is simply parsed and refused later)."""
    try:
        return "\nfollows:" in "\n" + path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def load_all() -> Catalog:
    catalog = Catalog()
    refs = references()   # gathers the users each loaded pack's attacks seed, for the defences of later packs
    for folder in pack_folders()[:MAX_PACKS]:
        try:
            specs, errors = load_pack(folder, refs, catalog.pack_of)
        except Exception as error:  # noqa: BLE001 - a pack never breaks the site, whatever went wrong reading it
            log.exception("challenge pack %s could not be read", folder.name)
            specs, errors = [], [FileError(folder.name, 1, 1, "(the pack)",
                                           f"could not be read ({type(error).__name__}; the server's log says more)")]
        if errors:
            log.warning("challenge pack %s refused:\n%s", folder.name, "\n".join(map(str, errors)))
            catalog.refused.append(RefusedPack(folder.name, errors))
            continue
        for spec in specs:
            catalog.challenges.append(spec)
            catalog.by_slug[spec.slug] = spec
            catalog.pack_of[spec.slug] = folder.name
    return catalog


_lock = threading.Lock()
_loaded: list[Catalog] = []


def current() -> Catalog:
    with _lock:
        if not _loaded:
            _loaded.append(load_all())
        return _loaded[0]


def reload() -> Catalog:
    with _lock:
        _loaded.clear()
    return current()
