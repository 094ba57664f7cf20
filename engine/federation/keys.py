"""Signing keys for the mock identity providers: an RSA key, its self-signed certificate and its JWK.

The same key material serves SAML (the X.509 certificate goes into the IdP metadata the learner uploads to
CreateSAMLProvider) and OIDC (the public key is published in the issuer's JWKS under a `kid`).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class SigningKey:
    private_key_pem: str
    cert_pem: str

    @classmethod
    def generate(cls, common_name: str, *, key_size: int = 2048, now: datetime | None = None,
                 valid_days: int = 3650, private_key: rsa.RSAPrivateKey | None = None) -> "SigningKey":
        """A fresh RSA key (or `private_key`, e.g. one from a KeyPool) and a self-signed SHA-256 certificate (what
        most IdPs put in their metadata)."""
        key = private_key or rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        start = (now or datetime.now(timezone.utc)) - timedelta(days=1)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64] or "mock-idp")])
        cert = (x509.CertificateBuilder()
                .subject_name(name).issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(start + timedelta(days=valid_days))
                .sign(key, hashes.SHA256()))
        return cls(
            private_key_pem=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode(),
            cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        )

    @classmethod
    def from_json(cls, text: str) -> "SigningKey":
        data = json.loads(text)
        return cls(private_key_pem=data["private_key_pem"], cert_pem=data["cert_pem"])

    def to_json(self) -> str:
        return json.dumps({"private_key_pem": self.private_key_pem, "cert_pem": self.cert_pem})

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The parsed private key, to sign with: parsed once per process and PEM (parse_private_key)."""
        return parse_private_key(self.private_key_pem)

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem.encode())

    @property
    def cert_b64(self) -> str:
        """The DER certificate in base64 on one line, as it appears inside <ds:X509Certificate>."""
        return base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode()

    @property
    def public_key_pem(self) -> str:
        return self.certificate.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    @property
    def kid(self) -> str:
        """A stable key id: the RFC 7638-style thumbprint of the public key, shortened."""
        jwk = self._public_numbers_jwk()
        canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
        return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode().rstrip("=")[:16]

    @property
    def sha1_fingerprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA1()).hex(":").upper()

    def _public_numbers_jwk(self) -> dict[str, str]:
        key = self.certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):   # the lab's IdPs make RSA keys only (SigningKey.generate)
            raise ValueError("a JWK is published for RSA keys only")
        numbers = key.public_numbers()

        def b64uint(value: int) -> str:
            raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        return {"kty": "RSA", "n": b64uint(numbers.n), "e": b64uint(numbers.e)}

    def public_jwk(self, alg: str = "RS256") -> dict[str, str]:
        return {**self._public_numbers_jwk(), "kid": self.kid, "use": "sig", "alg": alg}


@lru_cache(maxsize=256)
def parse_private_key(pem: str) -> rsa.RSAPrivateKey:
    """A PEM private key, parsed. Parsing checks the RSA key (~36 ms of CPU for 2048 bits), and PyJWT given the PEM
    text parses it again for every token it signs: an IdP signs with the same few keys all day (a few per sandbox,
    256 covers a full room's)."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):   # the lab's IdPs make RSA keys only (SigningKey.generate)
        raise ValueError("the lab's identity providers sign with RSA keys only")
    return key


class KeyPool:
    """RSA private keys made ahead of need on a background thread, each handed out once.

    Every sandbox signs with IdP keys of its own (issue 9), and a 2048-bit key costs ~45 ms to generate: two of them
    were most of a sandbox build. cryptography releases the GIL while OpenSSL generates a key (a counting thread
    kept its full speed beside it), so a filler thread uses the second core instead of the request's time. When the
    pool is empty, take() generates one on the spot, as before. The filler starts on first use, in each process
    (a thread does not survive a fork)."""

    def __init__(self, size: int = 8, key_size: int = 2048) -> None:
        self.size = size
        self.key_size = key_size
        self._keys: deque[rsa.RSAPrivateKey] = deque()
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._filler_pid: int | None = None

    def take(self) -> rsa.RSAPrivateKey:
        self._ensure_filler()
        with self._lock:
            key = self._keys.popleft() if self._keys else None
        self._wanted.set()
        return key or self._generate()

    def ready(self) -> int:
        """How many keys are waiting."""
        with self._lock:
            return len(self._keys)

    def _generate(self) -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=self.key_size)

    def _ensure_filler(self) -> None:
        if self.size <= 0 or self._filler_pid == os.getpid():
            return
        with self._lock:
            if self._filler_pid == os.getpid():
                return
            self._filler_pid = os.getpid()
            self._keys.clear()    # after a fork: the parent's keys are the parent's
        threading.Thread(target=self._fill, name="idp-key-pool", daemon=True).start()

    def _fill(self) -> None:
        while True:
            while self.ready() < self.size:
                key = self._generate()
                with self._lock:
                    self._keys.append(key)
            self._wanted.clear()
            if self.ready() >= self.size:
                self._wanted.wait()
