"""`manage.py sandbox create --json [--accounts N]` and `manage.py sandbox advance-clock SANDBOX SECONDS`.

The lab's state (moto, issued sessions, sandbox clocks) lives in the running server's memory, so this command
does not touch it directly: it asks the running server (make run) through its token-protected internal API.
The token is signed with the shared SECRET_KEY, so only someone holding the server's settings can mint one.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandboxes.views import internal_token


class Command(BaseCommand):
    help = "Create a sandbox on the running lab server, or move a sandbox's clock forward."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--server", default=settings.LAB_SERVER_URL,
                            help="URL of the running lab server (default: %(default)s)")
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a sandbox and print its endpoint and admin credentials")
        create.add_argument("--json", action="store_true", help="print JSON (the only output format)")
        create.add_argument("--accounts", type=int, default=None,
                            help="N bare accounts, each with an admin user allowed * on * (default: SecureCart world)")
        advance = sub.add_parser("advance-clock", help="move a sandbox's clock forward")
        advance.add_argument("sandbox")
        advance.add_argument("seconds", type=float)

    def handle(self, *args, **options) -> None:
        server = options["server"].rstrip("/")
        if options["action"] == "create":
            payload = {"accounts": options["accounts"]}
            result = self._post(f"{server}/internal/sandboxes/", payload)
        else:
            result = self._post(f"{server}/internal/sandboxes/{options['sandbox']}/clock/",
                                {"seconds": options["seconds"]})
        self.stdout.write(json.dumps(result, indent=2))

    def _post(self, url: str, payload: dict) -> dict:
        request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                         headers={"Content-Type": "application/json", "X-Lab-Token": internal_token()})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                detail = json.loads(error.read()).get("error", "")
            except ValueError:
                detail = ""
            raise CommandError(f"the lab server refused: HTTP {error.code} {detail}".strip()) from None
        except urllib.error.URLError as error:
            raise CommandError(f"cannot reach the lab server at {url} ({error.reason}); start it with `make run`, "
                               "or pass --server URL") from None
