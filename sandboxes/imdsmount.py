"""Mounts the instance metadata service (gateway/imds.py) at /imds/ so a learner's own terminal can be "code on the
instance": `curl -X PUT http://127.0.0.1:8000/imds/<sandbox key>/<instance-id>/latest/api/token ...`, or any SDK
with AWS_EC2_METADATA_SERVICE_ENDPOINT pointed at `.../imds/<sandbox key>/<instance-id>/`.

Why the sandbox key: on EC2 only the instance itself reaches 169.254.169.254, so IMDS asks for no credentials at
all. Here it is a URL on a shared server, and an instance id alone is not a secret (it shows in DescribeInstances,
in the scenario pages, in screenshots). So the Django mount only answers for an instance that belongs to the sandbox
named by the key, and the key is signed with the server's SECRET_KEY: it cannot be made up, and it is shown only
to the sandbox's owner (the terminal page). A learner's curl therefore reaches their own instances and no one
else's, which is as close as a web server gets to "only from the instance".
"""
from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .labclient import lab
from .models import Sandbox

MOUNT = "/imds"
_SALT = "securecart.imds-sandbox-key"


def imds_app() -> Any:
    """The metadata service where the instances live: in-process, or the gateway process's (LAB_GATEWAY_URL)."""
    from gateway.imds import ImdsApp

    the_lab = lab()
    remote = getattr(the_lab, "imds_app", None)
    return remote() if callable(remote) else ImdsApp(the_lab)


def sandbox_key(sandbox: Sandbox) -> str:
    return signing.Signer(salt=_SALT).sign(sandbox.id)


def sandbox_from_key(key: str) -> Sandbox | None:
    try:
        sandbox_id = signing.Signer(salt=_SALT).unsign(key)
    except signing.BadSignature:
        return None
    return Sandbox.objects.filter(pk=sandbox_id).first()


# ---- one host name per instance, for clients that keep only host and port (the JavaScript SDK v3 parses
# AWS_EC2_METADATA_SERVICE_ENDPOINT and asks `/latest/...` on its host and port, dropping any path). The root-path
# endpoint (securecart/aws_root.py) answers IMDS for a Host whose first label names the instance, its sandbox and
# a MAC keyed by SECRET_KEY: `i-0abc...--sbx-12ab...--<16 base32>`. DNS is case-insensitive, hence base32, not the
# sandbox key's base64; 80 bits cannot be guessed, and the label is shown only to the sandbox's owner.
_HOST_SALT = "securecart.imds-host"
_LABEL = re.compile(r"(i-[0-9a-f]{8,17})--(sbx-[0-9a-f]{10})--([a-z2-7]{16})")


def _host_mac(sandbox_id: str, instance_id: str) -> str:
    digest = salted_hmac(_HOST_SALT, f"{sandbox_id}/{instance_id}").digest()
    return base64.b32encode(digest[:10]).decode().lower()


def host_label(sandbox: Sandbox, instance_id: str) -> str:
    return f"{instance_id}--{sandbox.id}--{_host_mac(sandbox.id, instance_id)}"


def names_an_instance(host: str) -> bool:
    """The Host has an instance label's shape (its MAC may still be wrong)."""
    return _LABEL.fullmatch(host.split(":", 1)[0].split(".", 1)[0].lower()) is not None


def target_of_host(host: str) -> tuple[Sandbox, str] | None:
    """(sandbox, instance id) named by a Host header like `<label>.localhost:8001`, or None."""
    match = _LABEL.fullmatch(host.split(":", 1)[0].split(".", 1)[0].lower())
    if match is None:
        return None
    instance_id, sandbox_id, mac = match.groups()
    if not constant_time_compare(mac, _host_mac(sandbox_id, instance_id)):
        return None
    sandbox = Sandbox.objects.filter(pk=sandbox_id).first()
    return (sandbox, instance_id) if sandbox is not None else None


def host_url(root_url: str, sandbox: Sandbox, instance_id: str) -> str:
    """This instance's metadata address on the root-path endpoint: its label in front of the endpoint's host (for a
    loopback endpoint, `<label>.localhost`)."""
    parts = urlsplit(root_url)
    hostname = parts.hostname or "localhost"
    parent = "localhost" if hostname in ("127.0.0.1", "::1", "localhost") else hostname
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme or 'http'}://{host_label(sandbox, instance_id)}.{parent}{port}"


def base_url(request: HttpRequest, sandbox: Sandbox, instance_id: str) -> str:
    """What the instance would call http://169.254.169.254 (paths go on as /latest/...)."""
    return request.build_absolute_uri(f"{MOUNT}/{sandbox_key(sandbox)}/{instance_id}")


def sandbox_instances(sandbox: Sandbox) -> list[dict[str, str]]:
    """The sandbox's pending or running instances, all accounts, looked up as the operator (not a learner call)."""
    from .operator import OPERATOR

    found = []
    for account_name, account_id in sandbox.account_ids().items():
        for instance in OPERATOR.instances(account_id):
            name = next((t["Value"] for t in instance.get("Tags", []) if t["Key"] == "Name"), "")
            profile = (instance.get("IamInstanceProfile") or {}).get("Arn", "")
            found.append({"account_name": account_name, "instance_id": instance["InstanceId"], "name": name,
                          "instance_profile": profile.rsplit("/", 1)[-1] if profile else ""})
    return found


def _plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain")


@csrf_exempt
def imds_endpoint(request: HttpRequest, key: str, instance_id: str, rest: str = "") -> HttpResponse:
    sandbox = sandbox_from_key(key)
    if sandbox is None:
        return _plain(404, "Not Found")
    from .services import ensure_ready

    ensure_ready(sandbox)
    # IMDS says 404 for an instance it does not serve; an instance of another sandbox is exactly that.
    if instance_id not in {i["instance_id"] for i in sandbox_instances(sandbox)}:
        return _plain(404, "Not Found")
    headers = {name.lower(): value for name, value in request.headers.items()}
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        # Behind our own reverse proxy every request carries its X-Forwarded-For; IMDS's guard against open
        # proxies must not refuse every token PUT because of it.
        headers.pop("x-forwarded-for", None)
    answer = imds_app().handle(request.method or "GET", f"/{instance_id}{rest or '/'}", headers)
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    for name, value in answer.headers.items():
        response[name] = value
    response["Server"] = "EC2ws"
    return response

