"""`manage.py challenges check PATH...` validates challenge files or whole packs (folders) as the lab would load
them, printing each problem as `pack/file.yaml:LINE:COLUMN: field: what is wrong`; `manage.py challenges list`
shows what the configured packs (LAB_CHALLENGE_PACKS) offer, and which were refused and why."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from challenges import packs
from challenges.schema import ChallengeFileError, FileError, parse_file


class Command(BaseCommand):
    help = "Validate challenge files and packs (check), or list the challenges the lab offers (list)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate challenge files (.yaml) or pack folders")
        check.add_argument("paths", nargs="+", type=Path)
        sub.add_parser("list", help="the challenges of the configured packs, and the packs refused")

    def handle(self, *args, **options) -> None:
        if options["action"] == "list":
            return self.list()
        errors: list[FileError] = []
        checked = 0
        refs = packs.references()
        loaded = packs.load_all()
        refs.challenge_users.update({spec.slug: {(u.account, u.name) for u in spec.seed.users}
                                     for spec in loaded.challenges if spec.track == "attacker"})
        for path in options["paths"]:
            if path.is_dir():
                others = {slug: pack for slug, pack in loaded.pack_of.items() if pack != path.name}
                specs, found = packs.load_pack(path, refs, others)
                errors += found
                checked += len(specs) or len(list(path.glob("*.yaml")))
            elif path.is_file():
                checked += 1
                for sibling in path.parent.glob("*.yaml"):   # the attacks of its own pack, for a defence
                    try:
                        other = parse_file(sibling, refs)
                    except ChallengeFileError:
                        continue
                    if other.track == "attacker":
                        refs.challenge_users[other.slug] = {(u.account, u.name) for u in other.seed.users}
                try:
                    parse_file(path, refs, shown_as=packs.shown_name(path))
                except ChallengeFileError as error:
                    errors += error.errors
            else:
                errors.append(FileError(str(path), 1, 1, "(the file)", "no such file or folder"))
        for error in errors:
            self.stderr.write(str(error))
        if errors:
            raise CommandError(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found")
        self.stdout.write(f"{checked} challenge{'s' if checked != 1 else ''} valid")

    def list(self) -> None:
        from challenges import catalog

        loaded = packs.reload()
        for spec in catalog.challenges():
            extra = f" (defends {spec.follows})" if spec.follows else ""
            technique = f" {spec.attack.technique.id}" if spec.attack else ""
            self.stdout.write(f"{loaded.pack_of[spec.slug]}/{spec.slug}: {spec.track}{technique}{extra} — {spec.title}")
        for pack in loaded.refused:
            self.stdout.write(f"refused pack {pack.name}:")
            for reason in pack.reasons:
                self.stdout.write(f"  {reason}")
