"""Per-sandbox S3 bucket namespace.

Bucket names are global in moto as in AWS, but every sandbox should own `securecart-product-images`. moto stores
`sbx<id>-securecart-product-images`; the gateway rewrites names in requests (path-style and virtual-host style, the
copy source) and back in responses (ListBuckets, ListObjects, error <BucketName>, Location headers), so learners and
policies only ever see the familiar name. Stored names stay valid bucket names (3-63 characters, lower case).
"""
from __future__ import annotations

import hashlib
import re
from urllib.parse import quote, unquote

from .runtime import current

MAX_BUCKET_NAME = 63
_SHORT_ID = re.compile(r"^[a-z0-9]{1,12}$")
_VIRTUAL_HOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]*?)\.(?:s3[.-][a-z0-9.-]*amazonaws\.com|s3\.amazonaws\.com|"
                           r"localhost|localhost\.localstack\.cloud)$")

# Names that had to be shortened with a hash are remembered (stored -> familiar) in runtime.s3_long_names.


def sandbox_prefix(sandbox_id: str) -> str:
    text = str(sandbox_id).lower()
    if _SHORT_ID.match(text):
        return f"sbx{text}-"
    return "sbx" + hashlib.sha1(str(sandbox_id).encode()).hexdigest()[:10] + "-"


def stored_name(sandbox_id: str | None, familiar: str) -> str:
    if sandbox_id is None:
        return familiar
    prefix = sandbox_prefix(sandbox_id)
    if familiar.startswith(prefix):
        return familiar  # already stored form (admin seeding may pass either)
    name = prefix + familiar
    if len(name) <= MAX_BUCKET_NAME:
        return name
    digest = hashlib.sha1(familiar.encode()).hexdigest()[:8]
    name = (prefix + familiar[: MAX_BUCKET_NAME - len(prefix) - 9]).rstrip(".-") + "-" + digest
    runtime = current()
    with runtime.lock:
        runtime.s3_long_names[name] = familiar
    return name


def familiar_name(sandbox_id: str | None, stored: str) -> str | None:
    """The learner's name for a stored bucket, or None when the bucket is not in this sandbox."""
    if sandbox_id is None:
        return stored
    prefix = sandbox_prefix(sandbox_id)
    if not stored.startswith(prefix):
        return None
    runtime = current()
    with runtime.lock:
        known = runtime.s3_long_names.get(stored)
    return known or stored[len(prefix):]


def bucket_from_host(host: str | None) -> str | None:
    """Virtual-host style: `bucket.s3.amazonaws.com`, `bucket.s3.us-east-1.amazonaws.com`, `bucket.localhost:8000`."""
    if not host:
        return None
    match = _VIRTUAL_HOST.match(host.split(":", 1)[0].lower())
    return match.group("bucket") if match else None


def split_path(path: str) -> tuple[str | None, str | None]:
    """Path-style "/bucket/key/with/slashes" -> ("bucket", "key/with/slashes"); "/" -> (None, None)."""
    trimmed = path[1:] if path.startswith("/") else path
    if not trimmed:
        return None, None
    bucket, slash, key = trimmed.partition("/")
    return bucket, (key if slash and key else None)


def rewrite_copy_source(sandbox_id: str | None, header: str) -> tuple[str, tuple[str, str] | None]:
    """x-amz-copy-source "bucket/key[?versionId=..]" (URL-encoded, optional leading "/") in stored form."""
    text = header[1:] if header.startswith("/") else header
    path, question, version = text.partition("?")
    bucket, _, key = unquote(path).partition("/")
    if not bucket or not key:
        return header, None
    stored = stored_name(sandbox_id, bucket)
    rewritten = quote(f"{stored}/{key}", safe="/~") + (question + version)
    return rewritten, (bucket, key)


def restore_names(sandbox_id: str | None, body: bytes) -> bytes:
    """Replace stored names of this sandbox by familiar ones in an XML answer (never used on object content)."""
    if sandbox_id is None or not body:
        return body
    prefix = sandbox_prefix(sandbox_id).encode()
    if prefix not in body:
        return body
    pattern = re.compile(re.escape(prefix) + rb"[a-z0-9.-]*")

    def replace(match: re.Match[bytes]) -> bytes:
        familiar = familiar_name(sandbox_id, match.group(0).decode())
        return (familiar or match.group(0).decode()).encode()

    return pattern.sub(replace, body)


def filter_list_buckets(sandbox_id: str | None, body: bytes) -> bytes:
    """ListBuckets: keep only this sandbox's buckets, under their familiar names."""
    if sandbox_id is None:
        return body
    prefix = sandbox_prefix(sandbox_id)

    def keep(match: re.Match[bytes]) -> bytes:
        name = re.search(rb"<Name>([^<]*)</Name>", match.group(0))
        if name is None or not name.group(1).decode().startswith(prefix):
            return b""
        return match.group(0)

    body = re.sub(rb"<Bucket>.*?</Bucket>", keep, body, flags=re.S)
    return restore_names(sandbox_id, body)


def restore_location(sandbox_id: str | None, location: str) -> str:
    if sandbox_id is None:
        return location
    prefix = sandbox_prefix(sandbox_id)
    return re.sub(re.escape(prefix) + r"[a-z0-9.-]*", lambda m: familiar_name(sandbox_id, m.group(0)) or m.group(0),
                  location)


# ------------------------------------------------------------------------------------------------ whole requests
# The one rewrite of an S3 request and its answer, used by GatewayApp (learners' requests) and by gateway.admin's
# seeding clients (in-process and, through lab control, remote), so both show the same names.
def stored_path(sandbox_id: str | None, bucket: str | None, key: str | None) -> str:
    """The path moto sees for a familiar bucket and key ("/" for the service itself)."""
    if not bucket:
        return "/"
    return f"/{stored_name(sandbox_id, bucket)}" + (f"/{key}" if key else "")


def stored_headers(sandbox_id: str | None, headers: dict[str, str]) -> tuple[dict[str, str], tuple[str, str] | None]:
    """`headers` with x-amz-copy-source (any case) in stored form, and the familiar (bucket, key) it names."""
    out = dict(headers)
    for name in out:
        if name.lower() == "x-amz-copy-source":
            out[name], source = rewrite_copy_source(sandbox_id, out[name])
            return out, source
    return out, None


def restore_response(sandbox_id: str | None, operation: str, status: int, headers: list[tuple[str, str]],
                     body: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """An S3 answer in familiar names: the Location header, ListBuckets filtered to the sandbox, stored names in
    XML bodies; an object's own content (a successful GetObject) is never touched."""
    headers = [(k, restore_location(sandbox_id, v) if k.lower() == "location" and v else v) for k, v in headers]
    if operation == "ListBuckets" and status == 200:
        body = filter_list_buckets(sandbox_id, body)
    elif operation != "GetObject" or status >= 300:
        body = restore_names(sandbox_id, body)
    return headers, body
