"""Where STS finds the JWKS of an OIDC issuer, per sandbox.

AWS fetches `<iss>/.well-known/openid-configuration`, then its `jwks_uri`, over TLS (checked against trusted CAs;
see CreateOpenIDConnectProvider). The lab never goes to the network: the lab's mock issuers register their JWKS
here, keyed by sandbox and issuer URL, and AssumeRoleWithWebIdentity resolves keys from this registry. An issuer
that is not registered behaves like an unreachable IdP ("Couldn't retrieve verification key from your identity
provider").

Tenant boundary (issue 9): every sandbox has its own copy of the mock issuers, with its own signing keys, at the
same issuer URLs (so trust policies keep the real condition keys, e.g. `token.actions.githubusercontent.com:sub`).
A sandbox only ever sees the keys registered for it, so a token minted for one learner's sandbox cannot be
verified in another's, and keys a learner registers for an issuer of their own stay in their sandbox. This is the
lab's choice: in AWS one issuer (GitHub's) signs for everybody and only the trust policy's `sub` condition separates
customers; here the issuers themselves are simulated per learner, like their accounts.
"""
from __future__ import annotations

import copy
import threading
from typing import Any, Callable


def normalise_issuer(issuer_url: str) -> str:
    """`https://host/path/` and `host/path` name the same issuer (IAM stores the URL without https://)."""
    return issuer_url.strip().removeprefix("https://").rstrip("/")


class JwksRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_sandbox: dict[str, dict[str, dict[str, Any]]] = {}

    def register(self, sandbox_id: str, issuer_url: str, jwks: dict[str, Any]) -> None:
        if not isinstance(sandbox_id, str) or not sandbox_id:
            raise ValueError("a JWKS is registered for one sandbox")
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise ValueError("a JWKS is a JSON object with a `keys` list")
        with self._lock:
            self._by_sandbox.setdefault(sandbox_id, {})[normalise_issuer(issuer_url)] = copy.deepcopy(jwks)

    def forget(self, sandbox_id: str, issuer_url: str) -> None:
        with self._lock:
            self._by_sandbox.get(sandbox_id, {}).pop(normalise_issuer(issuer_url), None)

    def forget_sandbox(self, sandbox_id: str) -> None:
        with self._lock:
            self._by_sandbox.pop(sandbox_id, None)

    def resolve(self, sandbox_id: str | None, issuer_url: str) -> dict[str, Any] | None:
        with self._lock:
            jwks = self._by_sandbox.get(sandbox_id or "", {}).get(normalise_issuer(issuer_url))
            return copy.deepcopy(jwks) if jwks is not None else None

    def resolver(self, sandbox_id: str | None) -> Callable[[str], dict[str, Any] | None]:
        """issuer URL -> that sandbox's JWKS for it (what validate_web_identity_token takes as `jwks_for`)."""
        return lambda issuer_url: self.resolve(sandbox_id, issuer_url)

    def issuers(self, sandbox_id: str) -> list[str]:
        with self._lock:
            return sorted(self._by_sandbox.get(sandbox_id, {}))
