"""The SAML stack installs from wheels only, so lxml and xmlsec each carry their own libxml2.

python-xmlsec refuses to work when the two libxml2 builds differ in major.minor ("lxml & xmlsec libxml2 library version
mismatch", python-xmlsec PR #299); requirements.txt names the tested pairing. This test fails the suite
when a requirements bump breaks the pairing, before any SAML test does it in a more confusing way.
"""
from __future__ import annotations

import lxml.etree
import xmlsec


def test_lxml_and_xmlsec_link_the_same_libxml2_major_minor() -> None:
    assert lxml.etree.LIBXML_VERSION[:2] == xmlsec.get_libxml_version()[:2]


def test_xmlsec_signs_and_verifies_an_lxml_tree() -> None:
    # A round trip across the lxml/xmlsec boundary is what a mismatch breaks at run time.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    import datetime

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xml-stack-check")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)

    root = lxml.etree.fromstring(b'<doc ID="d1"><data>signed</data></doc>')
    signature = xmlsec.template.create(root, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256)
    root.append(signature)
    ref = xmlsec.template.add_reference(signature, xmlsec.Transform.SHA256, uri="#d1")
    xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
    xmlsec.tree.add_ids(root, ["ID"])
    signer = xmlsec.SignatureContext()
    signer.key = xmlsec.Key.from_memory(key_pem, xmlsec.KeyFormat.PEM)
    signer.sign(signature)

    verifier = xmlsec.SignatureContext()
    verifier.key = xmlsec.Key.from_memory(cert_pem, xmlsec.KeyFormat.CERT_PEM)
    verifier.verify(signature)

    root.find("data").text = "tampered"
    try:
        verifier.verify(signature)
    except xmlsec.Error:
        pass
    else:
        raise AssertionError("a tampered document must not verify")
