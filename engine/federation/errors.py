"""Federation errors: AWS's code and message, plus which defence caught the token (for the tamper bench).

The wire answer is only `code` + `message`, exactly as STS sends it. `defence` (a short stable id) and `detail`
(one sentence) are for the lab's explanation panel and never change the wire answer.

Codes and HTTP statuses come from botocore's sts/2011-06-15/service-2.json (InvalidIdentityToken 400,
ExpiredTokenException 400, IDPRejectedClaim 403, IDPCommunicationError 400). Messages marked "observed" are real
AWS answers quoted in GitHub issues (each named beside its message); the others are
approximations because AWS does not document them -- the lab says so where it shows them.
"""
from __future__ import annotations

from typing import Any

from engine.errors import ClientError


class FederationError(ClientError):
    def __init__(self, message: str, *, defence: str, detail: str = "", code: str | None = None,
                 status: int | None = None, observed: bool = False) -> None:
        super().__init__(message, code=code, status=status)
        self.defence = defence
        self.detail = detail or message
        self.observed = observed   # True when the message text is AWS's own, seen in the wild

    def explain(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "defence": self.defence, "detail": self.detail,
                "observed_message": self.observed}


class InvalidIdentityToken(FederationError):
    code = "InvalidIdentityToken"
    status = 400


class ExpiredTokenException(FederationError):
    code = "ExpiredTokenException"
    status = 400


class IDPRejectedClaim(FederationError):
    code = "IDPRejectedClaim"
    status = 403


class IDPCommunicationError(FederationError):
    code = "IDPCommunicationError"
    status = 400


class FederationValidationError(FederationError):
    """AWS answers some Role-attribute problems with a plain ValidationError (observed)."""
    code = "ValidationError"
    status = 400
