"""The one exception type that crosses from the engine to the gateway.

The gateway serialises an AwsError in the caller's protocol (query XML, S3 XML or JSON) with the code, message
and HTTP status AWS uses, so SDKs raise the same ClientError they would against AWS.
"""
from __future__ import annotations

from typing import Any


class AwsError(Exception):
    code = "InternalFailure"
    status = 500
    sender_fault = False
    decision: Any = None      # the Decision that refused the call, for callers without a request id
    extra: dict[str, str] | None = None   # further elements of the error document (S3: ArgumentName, ...)

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 sender_fault: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if sender_fault is not None:
            self.sender_fault = sender_fault

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}: {self.message})"


class ClientError(AwsError):
    """A 4xx error caused by the request (AWS's `Type: Sender`)."""
    code = "ValidationError"
    status = 400
    sender_fault = True


class ValidationError(ClientError):
    code = "ValidationError"


class AccessDenied(ClientError):
    code = "AccessDenied"
    status = 403


class InvalidClientTokenId(ClientError):
    # CommonErrors: "The X.509 certificate or AWS access key ID provided does not exist in our records."
    code = "InvalidClientTokenId"
    status = 403


class SignatureDoesNotMatch(ClientError):
    code = "SignatureDoesNotMatch"
    status = 403


class ExpiredToken(ClientError):
    # Wire message for expired session credentials: "The security token included in the request is expired".
    code = "ExpiredToken"
    status = 403


class MalformedPolicyDocument(ClientError):
    """A policy document that does not parse or breaks the grammar. line/column are 1-based, when known."""
    code = "MalformedPolicyDocument"

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None,
                 path: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.path = path


class MalformedPolicy(MalformedPolicyDocument):
    """S3's answer to a bucket policy it refuses (PutBucketPolicy): the same fault as IAM's
    MalformedPolicyDocument under S3's own code (engine.policy.bucket_policy). .message explains what and where;
    .aws_message is S3's own words, what the wire answers."""
    code = "MalformedPolicy"

    def __init__(self, message: str, *, aws_message: str | None = None, line: int | None = None,
                 column: int | None = None, path: str | None = None) -> None:
        super().__init__(message, line=line, column=column, path=path)
        self.aws_message = aws_message or message
