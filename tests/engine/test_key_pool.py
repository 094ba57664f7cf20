"""engine.federation.keys.KeyPool: the mock IdPs' RSA keys made ahead of need, each handed out once (every sandbox
signs with keys of its own, issue 9). No timing is asserted: the test waits for the filler, bounded."""
from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from engine.federation.keys import KeyPool, SigningKey


def _pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _wait_for(condition, limit: float = 60.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_the_pool_fills_ahead_and_never_hands_out_a_key_twice() -> None:
    pool = KeyPool(size=3, key_size=1024)
    first = pool.take()                       # starts the filler; an empty pool generates on the spot
    assert _wait_for(lambda: pool.ready() == 3)
    taken = [pool.take() for _ in range(5)]   # three from the pool, two made on the spot or by the filler
    pems = {_pem(key) for key in [first, *taken]}
    assert len(pems) == 6
    assert all(key.key_size == 1024 for key in taken)
    assert _wait_for(lambda: pool.ready() == 3)   # and it fills up again


def test_a_pool_of_size_zero_generates_each_key_when_asked() -> None:
    pool = KeyPool(size=0, key_size=1024)
    assert _pem(pool.take()) != _pem(pool.take())
    assert pool.ready() == 0


def test_a_pooled_key_makes_a_working_signing_key() -> None:
    private_key = KeyPool(size=0, key_size=2048).take()
    key = SigningKey.generate("corporate-idp.securecart.example", private_key=private_key)
    assert key.certificate.public_key().public_numbers() == private_key.public_key().public_numbers()
    assert "corporate-idp.securecart.example" in key.certificate.subject.rfc4514_string()


def test_a_signing_key_is_parsed_once_and_never_confused_with_another() -> None:
    """SigningKey.private_key parses the PEM once per process (PyJWT given the PEM text re-parsed it, ~36 ms, for every
    token). The mistake a cache makes: keyed on something two keys share (the common name, the kid of the issuer a
    forger copies), it signs with the wrong key. Two keys of one name: each token verifies with its own key only."""
    pool = KeyPool(size=0)   # 2048 bits: PyJWT warns below
    first, second = (SigningKey.generate("same.example", private_key=pool.take()) for _ in range(2))
    again = SigningKey.from_json(first.to_json())   # as a sandbox's IdP key comes back from the database
    assert again.private_key is first.private_key   # parsed once
    assert _pem(again.private_key) == first.private_key_pem.encode()
    for signer, other in ((first, second), (second, first)):
        token = jwt.encode({"sub": "x"}, signer.private_key, algorithm="RS256")
        assert jwt.decode(token, signer.certificate.public_key(), algorithms=["RS256"]) == {"sub": "x"}
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token, other.certificate.public_key(), algorithms=["RS256"])
