"""engine.federation.keys.KeyPool: the mock IdPs' RSA keys made ahead of need, each handed out once (every sandbox
signs with keys of its own, issue 9). No timing is asserted: the test waits for the filler, bounded."""
from __future__ import annotations

import time

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
