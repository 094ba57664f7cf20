"""Where STS finds the JWKS of an OIDC issuer.

AWS fetches `<iss>/.well-known/openid-configuration`, then its `jwks_uri`, over TLS (checked against trusted CAs;
see CreateOpenIDConnectProvider). The lab never goes to the network: the lab's own mock issuers register their
JWKS here, keyed by issuer URL, and AssumeRoleWithWebIdentity resolves keys from this registry. An issuer that is
not registered behaves like an unreachable IdP ("Couldn't retrieve verification key from your identity provider").
"""
from __future__ import annotations

import copy
import threading


def normalise_issuer(issuer_url: str) -> str:
    """`https://host/path/` and `host/path` name the same issuer (IAM stores the URL without https://)."""
    return issuer_url.strip().removeprefix("https://").rstrip("/")


class JwksRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_issuer: dict[str, dict] = {}

    def register(self, issuer_url: str, jwks: dict) -> None:
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise ValueError("a JWKS is a JSON object with a `keys` list")
        with self._lock:
            self._by_issuer[normalise_issuer(issuer_url)] = copy.deepcopy(jwks)

    def forget(self, issuer_url: str) -> None:
        with self._lock:
            self._by_issuer.pop(normalise_issuer(issuer_url), None)

    def resolve(self, issuer_url: str) -> dict | None:
        with self._lock:
            jwks = self._by_issuer.get(normalise_issuer(issuer_url))
            return copy.deepcopy(jwks) if jwks is not None else None

    def issuers(self) -> list[str]:
        with self._lock:
            return sorted(self._by_issuer)


# The process-wide registry (one Lab per process). A Lab may carry its own as `lab.jwks_registry`.
DEFAULT_JWKS_REGISTRY = JwksRegistry()
