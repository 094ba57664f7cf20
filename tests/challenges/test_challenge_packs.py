"""Challenge packs: files an instructor writes, validated with a clear error (line, column and field), loaded from
the folders LAB_CHALLENGE_PACKS names; an invalid pack is refused with its reasons and never breaks /challenges/."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from challenges import catalog, packs, schema

SECURECART = Path(settings.BASE_DIR) / "challenge_packs" / "securecart"
AUDITORS = (SECURECART / "01-auditors-externalid-and-mfa.yaml").read_text()


@pytest.fixture
def extra_packs(tmp_path, settings):
    """A folder of packs of our own next to the lab's; the catalog is read again before and after."""
    settings.LAB_CHALLENGE_PACKS = [*settings.LAB_CHALLENGE_PACKS, tmp_path]
    packs.reload()
    yield tmp_path
    settings.LAB_CHALLENGE_PACKS = settings.LAB_CHALLENGE_PACKS[:-1]
    packs.reload()


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def refs() -> schema.References:
    return packs.references()


def errors_of(text: str) -> list[str]:
    with pytest.raises(schema.ChallengeFileError) as caught:
        schema.parse_text(text, "pack/x.yaml", refs())
    return [str(e) for e in caught.value.errors]


# Each broken file: the mistake an instructor makes, and the line, field and words its error must give.
BROKEN = {
    "a misspelt expectation": (AUDITORS.replace("expect: refused\n    catches: [no-mfa]",
                                                "expect: refuse\n    catches: [no-mfa]"),
                               ":121:5: checks[1].expect: Input should be 'allowed', 'refused' or 'either'"),
    "an unknown field": (AUDITORS.replace("minutes: 10", "minutes: 10\nminuts: 3"), ":7:1: minuts: unknown field"),
    "a key written twice": (AUDITORS.replace("minutes: 10", "minutes: 10\nminutes: 3"),
                            ":7:1: minutes: `minutes` is written twice in this mapping (first at line 6)"),
    "an operation the checker cannot call": (
        AUDITORS.replace("call: sts.AssumeRole\n    params: {RoleArn: \"arn:aws:iam::{production}:role/Challenge-"
                         "AuditReview\", ExternalId: \"{external_id}\"}", "call: iam.DeleteRole\n    params: {}"),
        ":119:5: checks[1].call: `iam.DeleteRole` is not an operation the checker can call"),
    "a mistyped placeholder": (AUDITORS.replace("(`{external_id}`)", "(`{externalid}`)"),
                               ":8:1: story: `{externalid}` is not a placeholder"),
    "a policy IAM would refuse": (AUDITORS.replace("        Action: sts:AssumeRole\n        Condition:\n          "
                                                   "StringEquals: {\"sts:ExternalId\": \"{external_id}\"}\n          "
                                                   "Bool", "        Acton: sts:AssumeRole\n        Condition:\n"
                                                   "          StringEquals: {\"sts:ExternalId\": \"{external_id}\"}\n"
                                                   "          Bool", 1),
                                  ":40:9: documents.solved.Statement[0].Acton: not a valid trust policy"),
    "broken YAML": (AUDITORS.replace("start: [production/lab-admin]", "start: [production/lab-admin"),
                    ":16:6: (the file): not valid YAML"),
    "a required field left out": (AUDITORS.replace("difficulty: easy\n", ""), ": difficulty: `difficulty` is required"),
    "a mistake no probe catches": (AUDITORS.replace("catches: [any-principal]", ""),
                                   ":89:5: mistakes[2].id: mistake `any-principal` is caught by no probe"),
    "two identities for one probe": (
        AUDITORS.replace("as: {probe_user: {account: auditor, policy: doc:may-assume-review}}",
                         "as: {probe_user: {account: auditor, policy: doc:may-assume-review}, user: production/lab-admin}"),
        ":118:5: checks[1].as: say who acts with exactly one of"),
    "an account the lab does not have": (AUDITORS.replace("start: [production/lab-admin]", "start: [prod/lab-admin]"),
                                         ":15:9: start[0]: `prod` is not an account of the lab"),
    "a user nobody seeds": (AUDITORS.replace("start: [production/lab-admin]", "start: [production/nobody]"),
                            ":15:9: start[0]: there is no user nobody in the production account"),
    "a scenario that does not exist": (AUDITORS.replace("scenario: cross-account-auditors", "scenario: no-such"),
                                       ":7:1: scenario: there is no scenario `no-such`"),
    "a Python tag (code)": ("slug: !!python/object/apply:os.system ['echo owned']\n",
                            ":1:7: slug: the tag `tag:yaml.org,2002:python/object/apply:os.system` is not allowed"),
    "anchors that expand a billion times": (
        "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
        "expands to more than 20000 values"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_file_is_refused_with_its_line_column_and_field(case):
    text, expected = BROKEN[case]
    found = errors_of(text)
    assert any(expected in error for error in found), found


@pytest.mark.django_db
def test_the_lab_pack_is_valid_and_loaded():
    loaded = packs.reload()
    assert not loaded.refused, [p.reasons for p in loaded.refused]
    assert {s.slug for s in loaded.challenges} >= {"auditors-externalid-and-mfa", "find-the-refused-call"}


def test_a_broken_pack_is_refused_with_its_reason_and_challenges_still_works(learner, extra_packs):
    pack = extra_packs / "instructor"
    write(pack, "01-good.yaml", AUDITORS.replace("slug: auditors-externalid-and-mfa", "slug: my-auditors"))
    write(pack, "02-bad.yaml", AUDITORS.replace("slug: auditors-externalid-and-mfa", "slug: my-broken")
          .replace("expect: refused\n    catches: [no-mfa]", "expect: refuse\n    catches: [no-mfa]"))
    packs.reload()
    r = learner.client.get("/challenges/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "The challenge pack “instructor” was not loaded" in html
    assert "instructor/02-bad.yaml:121:5: checks[1].expect" in html
    assert 'href="/challenges/auditors-externalid-and-mfa/"' in html            # the lab's own pack still loads
    assert 'href="/challenges/my-auditors/"' not in html                      # a pack is taken whole or not at all
    assert learner.client.get("/challenges/my-auditors/").status_code == 404
    assert learner.client.get("/").status_code == 200
    assert str(extra_packs) not in html                                         # never the server's own paths


def test_adding_a_challenge_is_a_file(learner, extra_packs):
    write(extra_packs / "instructor", "01-mine.yaml", AUDITORS.replace("slug: auditors-externalid-and-mfa",
                                                                       "slug: my-auditors").replace(
        "title: \"Auditors: ExternalId and MFA, both\"", "title: \"My auditors\"").replace(
        "Challenge-AuditReview", "Challenge-MyAuditReview"))
    packs.reload()
    assert catalog.get("my-auditors") is not None and not catalog.refused_packs()
    r = learner.client.get("/challenges/my-auditors/")
    assert r.status_code == 200 and "My auditors" in r.content.decode()
    assert "Challenge-MyAuditReview" in r.content.decode()


def test_a_pack_that_reuses_a_slug_or_follows_nothing_is_refused(extra_packs):
    write(extra_packs / "clash", "01.yaml", AUDITORS)
    write(extra_packs / "orphan", "01.yaml", (SECURECART / "90-who-read-the-secret.yaml").read_text().replace(
        "slug: who-read-the-secret", "slug: defend-nothing\nfollows: no-such-attack").replace(
        "track: defender", "track: defender"))
    packs.reload()
    refused = {pack.name: pack.reasons for pack in catalog.refused_packs()}
    assert "already a challenge of the pack `securecart`" in refused["clash"][0]
    assert any("follows" in reason for reason in refused["orphan"]), refused["orphan"]


def test_an_unreadable_file_refuses_its_pack_only(learner, extra_packs):
    pack = extra_packs / "binary"
    pack.mkdir()
    (pack / "01.yaml").write_bytes(b"\xff\xfe\x00garbage")
    packs.reload()
    [refused] = catalog.refused_packs()
    assert "not UTF-8 text" in refused.reasons[0]
    assert learner.client.get("/challenges/").status_code == 200


@pytest.mark.django_db
def test_manage_py_challenges_check_prints_each_problem_and_fails(tmp_path, capsys):
    good = write(tmp_path / "pack", "01.yaml", AUDITORS.replace("slug: auditors-externalid-and-mfa", "slug: mine"))
    call_command("challenges", "check", str(good))
    assert "1 challenge valid" in capsys.readouterr().out
    bad = write(tmp_path / "pack", "02.yaml", AUDITORS.replace("minutes: 10", "minutes: ten"))
    with pytest.raises(CommandError, match="1 problem found"):
        call_command("challenges", "check", str(bad))
    assert "pack/02.yaml:6:1: minutes: Input should be a valid integer" in capsys.readouterr().err
    call_command("challenges", "check", str(SECURECART))
    assert "challenges valid" in capsys.readouterr().out

