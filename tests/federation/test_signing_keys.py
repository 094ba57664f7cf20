"""federation.services: every sandbox's IdP keys come from KEY_POOL, sized by LAB_IDP_KEY_BITS.

The tests run with 1,024-bit keys (securecart/settings/test.py says why); `make run` (securecart.settings.dev),
`make class` (.classroom) and a deployment (.production) make 2,048-bit ones. The mistakes caught: the test size
leaking into a served configuration, and the pool or the no-database fallback ignoring the setting."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from django.conf import settings
from django.db import DatabaseError

from engine.federation.keys import parse_private_key
from federation import services
from federation.models import SigningKeyRecord
from sandboxes.services import create_sandbox

ROOT = Path(__file__).resolve().parents[2]

SERVED = """
import json, django
django.setup()
from django.conf import settings
from federation.services import KEY_POOL, SigningKey
key = SigningKey.generate("probe", private_key=KEY_POOL.take())
print(json.dumps([settings.LAB_IDP_KEY_BITS, KEY_POOL.key_size, key.private_key.key_size]))
"""


@pytest.mark.parametrize("module", ["dev", "classroom", "production"])
def test_every_served_configuration_makes_2048_bit_idp_keys(module, tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": f"securecart.settings.{module}", "LAB_DATA_DIR": str(tmp_path),
           "SECRET_KEY": "signing-keys-test-" + "x" * 50, "ALLOWED_HOSTS": "lab.example.com",
           "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    env.pop("LAB_GATEWAY_URL", None)
    done = subprocess.run([sys.executable, "-c", SERVED], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [2048, 2048, 2048]


@pytest.mark.django_db
def test_a_sandbox_build_takes_its_keys_from_the_pool_at_the_configured_size():
    assert services.KEY_POOL.key_size == settings.LAB_IDP_KEY_BITS == 1024
    sandbox = create_sandbox()
    records = SigningKeyRecord.objects.filter(sandbox_id=sandbox.id)
    assert {r.purpose for r in records} == {"corporate-idp", "github-actions"}
    for record in records:
        key = parse_private_key(json.loads(record.key_json)["private_key_pem"])
        assert key.key_size == 1024
        # still a real signature that verifies with the published key, and only with it
        token = jwt.encode({"sub": "probe"}, key, algorithm="RS256")
        assert jwt.decode(token, key.public_key(), algorithms=["RS256"]) == {"sub": "probe"}


def test_the_key_made_without_a_database_has_the_configured_size(monkeypatch):
    def no_table(*args, **kwargs):
        raise DatabaseError("no such table: federation_signingkeyrecord")

    monkeypatch.setattr(SigningKeyRecord.objects, "filter", no_table)
    key = services.signing_key("corporate-idp", "sbx-no-database")
    assert key.private_key.key_size == settings.LAB_IDP_KEY_BITS
