"""Signing keys for the mock identity providers: an RSA key, its self-signed certificate and its JWK.

The same key material serves SAML (the X.509 certificate goes into the IdP metadata the learner uploads to
CreateSAMLProvider) and OIDC (the public key is published in the issuer's JWKS under a `kid`).
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

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
                 valid_days: int = 3650) -> "SigningKey":
        """A fresh RSA key and a self-signed SHA-256 certificate (what most IdPs put in their metadata)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
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
        numbers = self.certificate.public_key().public_numbers()

        def b64uint(value: int) -> str:
            raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        return {"kty": "RSA", "n": b64uint(numbers.n), "e": b64uint(numbers.e)}

    def public_jwk(self, alg: str = "RS256") -> dict[str, str]:
        return {**self._public_numbers_jwk(), "kid": self.kid, "use": "sig", "alg": alg}
