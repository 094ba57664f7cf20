"""manage.py instructor USERNAME [--create] [--revoke]: grant (or take back) the permission to run a class."""
from __future__ import annotations

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = "Grant a user the instructor permission (classroom.run_class); --create makes the user first."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--create", action="store_true",
                            help="create the user; the password comes from INSTRUCTOR_PASSWORD or a prompt")
        parser.add_argument("--revoke", action="store_true", help="take the permission away instead")

    def handle(self, *args, username: str, create: bool, revoke: bool, **options) -> None:
        self.migrate_if_needed()
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None and not create:
            raise CommandError(f"No user called {username!r}. Add --create to make one.")
        if user is None:
            password = os.environ.get("INSTRUCTOR_PASSWORD") or getpass.getpass(f"Password for {username}: ")
            user = User(username=username)
            try:
                validate_password(password, user)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            user.set_password(password)
            user.save()
            self.stdout.write(f"Created user {username}.")
        permission = Permission.objects.get(content_type__app_label="classroom", codename="run_class")
        if revoke:
            user.user_permissions.remove(permission)
            self.stdout.write(f"{username} can no longer run classes.")
        else:
            user.user_permissions.add(permission)
            self.stdout.write(f"{username} can now run classes: sign in, then open /class/.")

    def migrate_if_needed(self) -> None:
        """On a fresh clone this is the first command the README gives (before `make class` migrates): set the
        database up first instead of failing with "no such table: auth_user"."""
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write("Setting up the database first (manage.py migrate).")
            call_command("migrate", interactive=False, verbosity=0)
