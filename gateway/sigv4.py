"""AWS Signature Version 4 verification (Authorization header and presigned query forms).

The canonical request is rebuilt exactly as AWS does (docs: "Create a canonical request for Signature Version 4",
https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html), mirroring botocore/auth.py:
- the path is URI-encoded twice for every service except S3, where it is used as sent (S3SigV4Auth does not
  normalise or re-encode);
- query parameters are decoded, re-encoded with the unreserved set A-Z a-z 0-9 - _ . ~ and sorted by name, then value;
- header values are trimmed and inner runs of spaces collapsed;
- the payload hash is x-amz-content-sha256 when sent (UNSIGNED-PAYLOAD and the STREAMING-* markers included),
  otherwise SHA-256 of the body.
Signing time is checked against *real* time (clients sign with the wall clock); only credential expiry uses the
sandbox clock, and that is the Lab's job.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import quote, unquote

from engine.errors import AwsError, SignatureDoesNotMatch

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60           # AWS rejects signatures more than 15 minutes away from its clock
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # X-Amz-Expires upper bound (S3 docs: 604800 seconds)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
                      "Secret Access Key and signing method. Consult the service documentation for details.")
# S3 words it differently (S3 API Reference, Error responses: SignatureDoesNotMatch).
S3_SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you provided. "
                         "Check your key and signing method.")

_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_SPACES = re.compile(r" +")


class IncompleteSignature(AwsError):
    code = "IncompleteSignature"
    status = 400
    sender_fault = True


@dataclass(frozen=True)
class SigV4Auth:
    """What the request claims: who signed, when, for which scope, over which headers."""
    access_key_id: str
    date: str                      # yyyymmdd from the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str                  # yyyymmddThhmmssZ
    presigned: bool = False
    expires: int | None = None     # X-Amz-Expires for presigned URLs
    session_token: str | None = None

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"

    def signed_at(self) -> datetime:
        return datetime.strptime(self.amz_date, _AMZ_DATE).replace(tzinfo=timezone.utc)


def credential_scope_service(authorization: str | None, query: dict[str, str]) -> str | None:
    """The signing service named by a request (cheap; used for routing before anything is verified)."""
    credential = None
    if authorization and authorization.startswith(ALGORITHM):
        match = re.search(r"Credential=([^,\s]+)", authorization)
        credential = match.group(1) if match else None
    elif query.get("X-Amz-Algorithm") == ALGORITHM:
        credential = query.get("X-Amz-Credential")
    if not credential:
        return None
    parts = credential.split("/")
    return parts[3] if len(parts) == 5 else None


def parse_authorization(headers: dict[str, str], query: dict[str, str]) -> SigV4Auth | None:
    """Read SigV4 parameters from the Authorization header or presigned query; None when the request is unsigned."""
    authorization = headers.get("authorization")
    if authorization:
        if not authorization.startswith(ALGORITHM + " "):
            raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{authorization.split(' ', 1)[0]}'")
        fields: dict[str, str] = {}
        for part in authorization[len(ALGORITHM) + 1:].split(","):
            key, sep, value = part.strip().partition("=")
            if sep:
                fields[key] = value
        missing = [name for name in ("Credential", "SignedHeaders", "Signature") if name not in fields]
        if missing:
            raise IncompleteSignature(f"Authorization header requires '{missing[0]}' parameter. "
                                      f"Authorization={authorization}")
        amz_date = headers.get("x-amz-date")
        if not amz_date:
            raise IncompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a "
                                      "'Date' header. Authorization=" + authorization)
        return _build(fields["Credential"], fields["SignedHeaders"], fields["Signature"], amz_date,
                      headers.get("x-amz-security-token"), presigned=False, expires=None)
    if query.get("X-Amz-Algorithm") is not None or "X-Amz-Signature" in query:
        if query.get("X-Amz-Algorithm") != ALGORITHM:
            raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{query.get('X-Amz-Algorithm')}'")
        for name in ("X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date"):
            if not query.get(name):
                raise IncompleteSignature(f"AWS query-string parameters must include '{name}'. "
                                          "Re-examine the query-string parameters.")
        try:
            expires = int(query.get("X-Amz-Expires", "900"))
        except ValueError:
            raise IncompleteSignature("X-Amz-Expires should be a number") from None
        return _build(query["X-Amz-Credential"], query["X-Amz-SignedHeaders"], query["X-Amz-Signature"],
                      query["X-Amz-Date"], query.get("X-Amz-Security-Token"), presigned=True, expires=expires)
    return None


def _build(credential: str, signed_headers: str, signature: str, amz_date: str, token: str | None, *,
           presigned: bool, expires: int | None) -> SigV4Auth:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise IncompleteSignature(f"Credential should be scoped to a valid region, not '{credential}'. ")
    try:
        datetime.strptime(amz_date, _AMZ_DATE)
    except ValueError:
        raise IncompleteSignature(f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. "
                                  "See http://en.wikipedia.org/wiki/ISO_8601") from None
    return SigV4Auth(access_key_id=parts[0], date=parts[1], region=parts[2], service=parts[3],
                     signed_headers=tuple(h.strip().lower() for h in signed_headers.split(";") if h.strip()),
                     signature=signature.strip().lower(), amz_date=amz_date, presigned=presigned,
                     expires=expires, session_token=token)


def _uri_encode(text: str, safe: str = "-_.~") -> str:
    return quote(text, safe=safe)


def canonical_uri(raw_path: str, *, s3: bool) -> str:
    if s3:
        return raw_path or "/"
    # botocore: quote(normalize_url_path(path), safe="/~") applied to the already-encoded path.
    return _uri_encode(_remove_dot_segments(raw_path or "/"), safe="/~")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, plus what AWS requires of every service but S3: consecutive slashes collapse into one
    (botocore.utils.remove_dot_segments; AWS's SigV4 test suite, normalize-path/get-slash and get-slashes:
    `//` signs as `/`, `//example//` as `/example/`)."""
    output: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if output:
                output.pop()
        else:
            output.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and output else ""
    return first + "/".join(output) + last or "/"


def canonical_query(raw_query: str, *, presigned: bool) -> str:
    pairs: list[tuple[str, str]] = []
    for item in raw_query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        key, value = unquote(key), unquote(value)
        if presigned and key == "X-Amz-Signature":
            continue
        pairs.append((_uri_encode(key), _uri_encode(value)))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def canonical_headers(auth: SigV4Auth, headers: dict[str, str]) -> str:
    lines = []
    for name in auth.signed_headers:
        value = headers.get(name)
        if value is None:
            raise SignatureDoesNotMatch(SIGNATURE_MISMATCH)
        lines.append(f"{name}:{_SPACES.sub(' ', value.strip())}\n")
    return "".join(lines)


def payload_hash(headers: dict[str, str], body: bytes, *, presigned: bool, s3: bool) -> str:
    declared = headers.get("x-amz-content-sha256")
    if declared:
        return declared
    if presigned and s3:
        return "UNSIGNED-PAYLOAD"
    return hashlib.sha256(body).hexdigest()


def canonical_request(auth: SigV4Auth, *, method: str, raw_path: str, raw_query: str, headers: dict[str, str],
                      body: bytes, s3: bool) -> str:
    return "\n".join([
        method,
        canonical_uri(raw_path, s3=s3),
        canonical_query(raw_query, presigned=auth.presigned),
        canonical_headers(auth, headers),
        ";".join(auth.signed_headers),
        payload_hash(headers, body, presigned=auth.presigned, s3=s3),
    ])


@lru_cache(maxsize=512)
def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    key = hmac.new(("AWS4" + secret_access_key).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def string_to_sign(auth: SigV4Auth, canonical: str) -> str:
    return "\n".join([ALGORITHM, auth.amz_date, auth.scope, hashlib.sha256(canonical.encode()).hexdigest()])


def expected_signature(auth: SigV4Auth, secret_access_key: str, canonical: str) -> str:
    key = signing_key(secret_access_key, auth.date, auth.region, auth.service)
    return hmac.new(key, string_to_sign(auth, canonical).encode(), hashlib.sha256).hexdigest()


def check_time(auth: SigV4Auth, now: datetime, *, s3: bool) -> None:
    """Reject a stale signature. `now` is real time, not the sandbox clock."""
    signed_at = auth.signed_at()
    if auth.presigned:
        expires = auth.expires if auth.expires is not None else 900
        if expires < 1 or expires > MAX_PRESIGN_SECONDS:
            raise AwsError("X-Amz-Expires must be less than a week (in seconds) that is 604800",
                           code="AuthorizationQueryParametersError", status=400, sender_fault=True)
        if (now - signed_at).total_seconds() > expires:
            if s3:
                raise AwsError("Request has expired", code="AccessDenied", status=403, sender_fault=True)
            raise SignatureDoesNotMatch(f"Signature expired: {auth.amz_date} is now earlier than "
                                        f"{_fmt(now, -expires)} ({_fmt(now)} - {expires} sec.)")
        if (signed_at - now).total_seconds() > MAX_SKEW_SECONDS:
            raise SignatureDoesNotMatch(f"Signature not yet current: {auth.amz_date} is still later than "
                                        f"{_fmt(now, MAX_SKEW_SECONDS)} ({_fmt(now)} + 15 min.)")
        return
    skew = (now - signed_at).total_seconds()
    if abs(skew) <= MAX_SKEW_SECONDS:
        return
    if s3:
        raise AwsError("The difference between the request time and the current time is too large.",
                       code="RequestTimeTooSkewed", status=403, sender_fault=True)
    if skew > 0:
        raise SignatureDoesNotMatch(f"Signature expired: {auth.amz_date} is now earlier than "
                                    f"{_fmt(now, -MAX_SKEW_SECONDS)} ({_fmt(now)} - 15 min.)")
    raise SignatureDoesNotMatch(f"Signature not yet current: {auth.amz_date} is still later than "
                                f"{_fmt(now, MAX_SKEW_SECONDS)} ({_fmt(now)} + 15 min.)")


def check_presigned_on_sandbox_clock(auth: SigV4Auth, *, signed_at: datetime, now: datetime, s3: bool) -> None:
    """A presigned URL expires on the sandbox's clock: `signed_at` is what that clock read when the URL was signed
    (its X-Amz-Date is real time, from the learner's SDK) and `now` is what it reads now. A URL signed before a
    fast-forward therefore expires with the sandbox; one signed after it still has its full lifetime."""
    if not auth.presigned:
        return
    expires = auth.expires if auth.expires is not None else 900
    if (now - signed_at).total_seconds() <= expires:
        return
    if s3:
        # S3's answer (S3 API Reference, "Error codes": AccessDenied "Request has expired" with these elements)
        error = AwsError("Request has expired", code="AccessDenied", status=403, sender_fault=True)
        error.extra = {"X-Amz-Expires": str(expires),
                       "Expires": _iso(signed_at.timestamp() + expires), "ServerTime": _iso(now.timestamp())}
        raise error
    raise SignatureDoesNotMatch(f"Signature expired: {_fmt(signed_at)} is now earlier than "
                                f"{_fmt(now, -expires)} ({_fmt(now)} - {expires} sec.)")


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fmt(moment: datetime, delta_seconds: float = 0) -> str:
    return datetime.fromtimestamp(moment.timestamp() + delta_seconds, tz=timezone.utc).strftime(_AMZ_DATE)


def verify(auth: SigV4Auth, secret_access_key: str, *, method: str, raw_path: str, raw_query: str,
           headers: dict[str, str], body: bytes, s3: bool, now: datetime | None = None) -> None:
    """Raise SignatureDoesNotMatch (or a time error) unless the request was signed with this secret."""
    check_time(auth, now or datetime.now(timezone.utc), s3=s3)
    if not auth.presigned and "host" not in auth.signed_headers:
        # AWS requires the host header to be signed.
        raise SignatureDoesNotMatch(S3_SIGNATURE_MISMATCH if s3 else SIGNATURE_MISMATCH)
    canonical = canonical_request(auth, method=method, raw_path=raw_path, raw_query=raw_query, headers=headers,
                                  body=body, s3=s3)
    if not hmac.compare_digest(expected_signature(auth, secret_access_key, canonical), auth.signature):
        raise SignatureDoesNotMatch(S3_SIGNATURE_MISMATCH if s3 else SIGNATURE_MISMATCH)
    declared = headers.get("x-amz-content-sha256")
    if s3 and declared and re.fullmatch(r"[0-9a-f]{64}", declared) and hashlib.sha256(body).hexdigest() != declared:
        raise AwsError("The provided 'x-amz-content-sha256' header does not match what was computed.",
                       code="XAmzContentSHA256Mismatch", status=400, sender_fault=True)


def decode_aws_chunked(body: bytes) -> tuple[bytes, dict[str, str]]:
    """Decode an aws-chunked body ("<hex-size>[;chunk-signature=..]\\r\\n<data>\\r\\n" ... "0\\r\\n<trailers>\\r\\n").

    Returns the payload and the trailing headers (e.g. x-amz-checksum-crc32). Chunk signatures of
    STREAMING-AWS4-HMAC-SHA256-PAYLOAD are not re-verified: the seed signature over the headers already was.
    """
    out = bytearray()
    trailers: dict[str, str] = {}
    position = 0
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            raise AwsError("The chunked body is malformed.", code="IncompleteBody", status=400, sender_fault=True)
        size_text = body[position:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise AwsError("The chunked body is malformed.", code="IncompleteBody", status=400,
                           sender_fault=True) from None
        position = line_end + 2
        if size == 0:
            for line in body[position:].split(b"\r\n"):
                name, sep, value = line.decode("latin-1").partition(":")
                if sep:
                    trailers[name.strip().lower()] = value.strip()
            return bytes(out), trailers
        out += body[position:position + size]
        position += size + 2
