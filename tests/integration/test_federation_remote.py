"""Federation with LAB_GATEWAY_URL: the web process signs, the `python -m gateway` process validates. The IdP
metadata and providers are registered in the gateway's moto, the JWKS over lab control, and the checklist of a
refused forgery comes back from the gateway's reports."""
from __future__ import annotations

import re
from typing import Iterator

import pytest
from django.test import Client
from test_multiprocess_web import TOKEN, GatewayProcess, use_gateway_process

from gateway.control.client import remote_lab


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    process = GatewayProcess(tmp_path_factory.mktemp("fed-gateway"))
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(autouse=True)
def remote_mode(gateway, settings, monkeypatch, redis_url, db):
    use_gateway_process(gateway, settings, monkeypatch, redis_url)
    return gateway


def _textarea(html: str, element_id: str) -> str:
    import html as htmllib
    return htmllib.unescape(re.search(rf'<textarea id="{element_id}"[^>]*>(.*?)</textarea>', html, re.S).group(1))


def test_saml_and_oidc_against_the_gateway_process(gateway):
    client = Client()
    client.get("/")   # the first visit starts the session; the next request builds the sandbox
    assert client.get("/federation/").status_code == 200
    from sandboxes.models import Sandbox
    sandbox = Sandbox.objects.get(pk=client.session["sandbox_id"])
    production = sandbox.account_ids()["production"]
    remote = remote_lab(gateway.url, TOKEN)
    providers = remote.admin_client("iam", production).list_saml_providers()["SAMLProviderList"]
    assert any(p["Arn"].endswith(":saml-provider/SecureCartIdP") for p in providers)

    client.post("/federation/idp/login/", {"username": "alice", "password": "securecart", "next": "aws"})
    html = client.post("/federation/idp/saml-response/",
                       {"role": f"arn:aws:iam::{production}:role/SecureCart-SAML-Developers"}).content.decode()
    assert "200 OK" in html and "assumed-role/SecureCart-SAML-Developers" in html

    client.post("/federation/oidc/token/", {"action": "issue", "issuer": "github", "branch": "main"})
    html = client.post("/federation/oidc/token/", {"action": "exchange", "issuer": "github"}).content.decode()
    assert "200 OK" in html   # the gateway resolved the JWKS the web process published over lab control

    page = client.get("/federation/tamper/?kind=saml").content.decode()
    forged = _textarea(client.post("/federation/tamper/", {"kind": "saml", "xml": _textarea(page, "tamper-xml"),
                                                           "action": "forge:xsw-sibling"}).content.decode(),
                       "tamper-xml")
    html = client.post("/federation/tamper/", {"kind": "saml", "xml": forged, "action": "submit"}).content.decode()
    assert "InvalidIdentityToken" in html and 'data-defence="xsw-one-assertion"' in html


def test_a_token_from_one_sandbox_is_refused_by_another_at_the_gateway_process(gateway):
    """Issue 9, item 1, with LAB_GATEWAY_URL: the JWKS each web process publishes is the sandbox's alone."""
    from botocore.exceptions import ClientError

    from gateway.client import unsigned_client
    from sandboxes.models import Sandbox

    learners = []
    for _ in range(2):
        client = Client()
        client.get("/federation/")  # the first visit starts the session; the next one builds the sandbox
        assert client.get("/federation/").status_code == 200
        learners.append((client, Sandbox.objects.get(pk=client.session["sandbox_id"])))
    (client_a, _), (client_b, sandbox_b) = learners
    client_a.post("/federation/oidc/token/", {"action": "issue", "issuer": "github", "branch": "main"})
    token_a = client_a.session["federation_jwt"]
    role_b = f"arn:aws:iam::{sandbox_b.account_ids()['production']}:role/SecureCart-GitHubDeploy"
    sts = unsigned_client("sts", endpoint=gateway.url)
    with pytest.raises(ClientError) as refused:
        sts.assume_role_with_web_identity(RoleArn=role_b, RoleSessionName="attack", WebIdentityToken=token_a)
    assert refused.value.response["Error"]["Code"] == "InvalidIdentityToken"
    assert "Couldn't retrieve verification key" in refused.value.response["Error"]["Message"]
    client_b.post("/federation/oidc/token/", {"action": "issue", "issuer": "github", "branch": "main"})
    assert sts.assume_role_with_web_identity(RoleArn=role_b, RoleSessionName="own",
                                             WebIdentityToken=client_b.session["federation_jwt"])["Credentials"]
