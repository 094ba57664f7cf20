"""The question bank is valid, balanced, and the engine agrees with every engine-backed answer."""
from __future__ import annotations

import copy
import re
from collections import Counter

import pytest

from quiz import audit, teaching
from quiz.bank import TASKS, DOMAINS, BankError, InvalidAnswer, bank_counts, build_question, load_bank
from quiz.citations import CITATIONS
from quiz.proof import engine_proof
from quiz.questions import cross_account

BANK = load_bank()
QUESTIONS = list(BANK.values())
ENGINE_QUESTIONS = [q for q in QUESTIONS if q.engine is not None]


def test_it_has_a_full_bank_with_unique_ids() -> None:
    assert 86 <= len(QUESTIONS) <= 200  # 46 from the first round, at least 40 added at exam grade
    assert len({q.id for q in QUESTIONS}) == len(QUESTIONS)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_every_question_has_exam_shape_and_a_task_statement(question) -> None:
    assert question.task in TASKS
    if question.multi:
        assert len(question.options) == 5 and question.select_count == 2  # "choose two" as on the exam
    else:
        assert len(question.options) == 4
    # answers do not hinge on remembering an error string: no option quotes an error code
    for option in question.options:
        assert not re.search(r"ValidationError|AccessDenied|ExpiredToken|MalformedPolicyDocument|"
                             r"InvalidClientTokenId", option.text), option.text


def test_task_statements_1_2_and_1_3_and_the_listed_gaps_are_covered() -> None:
    per_task = Counter(q.task for q in QUESTIONS)
    assert per_task["1.2"] >= 6 and per_task["1.3"] >= 6
    text = " ".join(q.stem + " " + " ".join(o.text for o in q.options) for q in QUESTIONS)
    for topic in ("SCP", "RCP", "Object Ownership", "key policy", "Access Analyzer", "Secrets Manager",
                  "root user", "permissions boundary", "Identity Center", "ABAC", "user pool", "rotation"):
        assert topic.lower() in text.lower(), topic
    qualifiers = sum(1 for q in QUESTIONS if re.search(r"\b(MOST|LEAST)\b", q.stem))
    assert qualifiers >= 20


def test_the_bank_counts_add_up(client) -> None:
    counts = bank_counts()
    assert sum(sum(row.values()) for row in counts.values()) == len(QUESTIONS)
    html = client.get("/quiz/questions/").content.decode()
    assert "data-quiz-counts" in html and "Task 1.3: Determine appropriate data security controls" in html


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_every_question_is_complete(question) -> None:
    assert question.domain in DOMAINS
    assert question.difficulty in ("easy", "medium", "hard")
    assert len(question.stem) >= 40
    assert len(question.explanation) >= 80
    assert question.citation_url.startswith("https://docs.aws.amazon.com/")
    assert question.citation_title
    right = [o for o in question.options if o.correct]
    assert right, "a right answer must be among the options"
    if question.multi:
        assert len(right) >= 2 and len(right) < len(question.options)
        assert "Choose" in question.stem or "choose" in question.stem  # the stem says how many to pick
    else:
        assert len(right) == 1
    for option in question.options:
        assert len(option.why) >= 20, f"option {option.key} needs a why"
    assert len({o.text for o in question.options}) == len(question.options)


def test_it_covers_every_topic_and_mixes_question_kinds() -> None:
    per_domain = Counter(q.domain for q in QUESTIONS)
    assert set(per_domain) == set(DOMAINS)
    assert min(per_domain.values()) >= 3
    assert sum(q.multi for q in QUESTIONS) >= 5
    styles = Counter(q.style for q in QUESTIONS)
    assert styles["spot-the-mistake"] >= 3 and styles["will-it-be-allowed"] >= 5
    assert Counter(q.difficulty for q in QUESTIONS)["hard"] >= 5


@pytest.mark.parametrize("question", ENGINE_QUESTIONS, ids=lambda q: q.id)
def test_the_engine_proves_the_marked_answer(question) -> None:
    proof = engine_proof(question)
    assert proof is not None and proof.available, proof and proof.error
    spec = question.engine.spec
    if question.engine.check == "parse":
        assert proof.accepted is False
        # IAM's code for IAM policies, S3's for a bucket policy (engine.policy.bucket_policy)
        assert proof.code == ("MalformedPolicy" if proof.policy_kind == "resource" else "MalformedPolicyDocument")
        assert spec["expect_error"] in proof.message
    else:
        assert proof.outcome == spec["expect"], proof.decision.get("reason")
        assert {proof.option_key} == set(question.correct_keys)
        assert proof.decision["request"]["action"] == spec["action"]
        assert proof.decision["policies"], "the trace lists the policies it evaluated"


def test_the_auditor_spot_the_mistake_is_refused_for_its_resource_element() -> None:
    # securecart-world.md: the source's auditor policy has Principal and Resource; IAM refuses it as a trust policy.
    proof = engine_proof(BANK["trust-auditor-policy-prohibited-resource"])
    assert "Has prohibited field Resource" in proof.message
    assert proof.path.endswith("Resource")


def _raw(qid: str) -> dict:
    return copy.deepcopy(next(r for r in cross_account.QUESTIONS if r["id"] == qid))


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r["options"][0].update(correct=False), "exactly one right answer"),
    (lambda r: r.update(domain="networking"), "domain"),
    (lambda r: r.update(citation={"title": "Blog", "url": "https://example.com/x"}), "AWS documentation"),
    (lambda r: r["options"][1].update(why="no"), "why"),
    (lambda r: r.update(explanation="Too short."), "explanation"),
    (lambda r: r.update(surprise=1), "unknown fields"),
])
def test_the_validator_rejects_broken_questions(mutate, message) -> None:
    raw = _raw("xacct-auditors-best-approach")
    mutate(raw)
    with pytest.raises(BankError, match=message):
        build_question(raw)


def test_the_validator_rejects_a_multi_select_with_one_right_answer() -> None:
    raw = _raw("xacct-both-sides-multi")
    raw["options"][1]["correct"] = False
    with pytest.raises(BankError, match="at least 2 right answers"):
        build_question(raw)


def test_the_validator_rejects_an_engine_expectation_that_contradicts_the_marked_answer() -> None:
    raw = _raw("xacct-missing-external-id")
    raw["engine"]["expect"] = "allow"
    with pytest.raises(BankError, match="engine.expect"):
        build_question(raw)


def test_selections_are_checked_against_the_options() -> None:
    single = BANK["xacct-auditors-best-approach"]
    multi = BANK["xacct-both-sides-multi"]
    right = sorted(multi.correct_keys)
    assert multi.clean_selection(list(reversed(right))) == right
    assert multi.is_correct(right) and not multi.is_correct(right[:1] + ["e"])
    for values, message in [([], "Choose an answer"), (["z"], "does not match"), (["a", "b"], "exactly one"),
                            (["a" * 5000], "does not match"), (["a"] * 10, "more choices")]:
        with pytest.raises(InvalidAnswer, match=message):
            single.clean_selection(values)
    with pytest.raises(InvalidAnswer, match="exactly 2"):
        multi.clean_selection(["a"])
    assert multi.clean_selection(["a"], partial=True) == ["a"]  # an exam saves work in progress...
    assert not multi.is_correct(["a"])                           # ...which scores as wrong
    with pytest.raises(InvalidAnswer, match="at most 2"):
        multi.clean_selection(["a", "b", "c"], partial=True)
    with pytest.raises(InvalidAnswer, match="twice"):
        multi.clean_selection(["a", "a"])


# ---- the item writer's checks (quiz.audit, quiz.teaching): each with the mistake it must catch -----------------

def test_the_key_is_not_the_option_to_guess_by_length() -> None:
    # Issue 27: in 59 of 80 items the key was the longest option, in 47 at least 30 % longer than every distractor.
    # Bounds: a third longest (chance with four options is a quarter), a tenth much longer; in words as well.
    cue = audit.length_cue(QUESTIONS)
    assert cue.items >= 80
    assert cue.share(cue.longest) <= 1 / 3 and cue.share(cue.longest_words) <= 1 / 3, cue
    assert cue.share(cue.much_longer) <= 0.10 and cue.share(cue.much_longer_words) <= 0.10, cue
    # ...and the cue has not just moved: no length rank (shortest .. longest) holds more than 40 % of the keys
    assert max(cue.key_rank) <= 0.40 * cue.items, cue.key_rank


def test_the_length_check_catches_a_bank_whose_keys_are_the_longest() -> None:
    padded = []
    for q in QUESTIONS:
        if q.multi:
            continue
        options = tuple(type(o)(o.key, o.text + " (this is the option AWS recommends for the scenario)"
                                if o.correct else o.text, o.correct, o.why) for o in q.options)
        padded.append(type(q)(**{**q.__dict__, "options": options}))
    cue = audit.length_cue(padded)
    assert cue.share(cue.longest) > 1 / 3 and cue.share(cue.much_longer) > 0.10


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_every_policy_exhibit_is_one_aws_accepts_except_the_mistake_it_shows(question) -> None:
    assert audit.exhibit_problems(question) == []


def test_the_exhibit_check_catches_a_bucket_policy_s3_refuses_and_a_mistake_aws_accepts() -> None:
    from quiz.bank import Exhibit

    star = Exhibit("b", "Bucket policy", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
                   '"*", "Action": "s3:GetObject", "Resource": "*"}]}', policy_kind="resource", bucket="securecart-x")
    assert "Policy has invalid resource" in audit.exhibit_problem(star)
    listing = Exhibit("b", "Bucket policy", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                      '"Principal": "*", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::securecart-x/*"}]}',
                      policy_kind="resource", bucket="securecart-x")
    assert "Action does not apply" in audit.exhibit_problem(listing)
    spot = BANK["trust-notprincipal-not-allowed"]
    fixed = type(spot)(**{**spot.__dict__, "exhibits": (Exhibit(
        "trust", "fixed", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": '
        '"123456789012"}, "Action": "sts:AssumeRole"}]}', policy_kind="trust"),)})
    assert audit.exhibit_problems(fixed) == ["trust: shown as refused, but AWS would accept it"]


@pytest.mark.parametrize("question", [q for q in QUESTIONS if q.teaches], ids=lambda q: q.id)
def test_every_teaching_link_names_the_question_s_topics(question) -> None:
    assert question.tags, "a linked question says what it is about"
    assert teaching.missing_topics(question) == [], question.teaches
    link = teaching.link_for(question)
    assert link is not None and link.url.startswith(("/scenarios/", "/challenges/"))


def test_the_teaching_check_catches_a_link_to_a_page_about_something_else() -> None:
    # The first bank linked every SCP question to an Identity Center step that never mentions SCPs.
    scp = BANK["org-scp-deny-regions"]
    wrong = type(scp)(**{**scp.__dict__, "teaches": "identity-center/assign", "tags": ("SCP",)})
    assert teaching.missing_topics(wrong) == ["SCP"]
    gone = type(scp)(**{**scp.__dict__, "teaches": "challenge:no-such-challenge", "tags": ("SCP",)})
    assert teaching.missing_topics(gone) == ["<page missing>"] and teaching.link_for(gone) is None


def test_questions_link_challenges_too_and_leave_untaught_topics_unlinked() -> None:
    assert any(q.teaches_challenge for q in QUESTIONS)
    assert all(not q.teaches for q in QUESTIONS if q.domain == "organizations")  # no SCP page in the lab yet
    assert sum(1 for q in QUESTIONS if not q.teaches) >= 20


def test_every_citation_is_a_listed_aws_page_with_its_title() -> None:
    for q in QUESTIONS:
        assert CITATIONS[q.citation_url] == q.citation_title, q.id
    raw = _raw("xacct-auditors-best-approach")
    raw["citation"] = {"title": "IAM User Guide: Cross-account access", "url": raw["citation"]["url"]}
    with pytest.raises(BankError, match="citation"):
        build_question(raw)
    raw["citation"] = {"title": "IAM User Guide: Somewhere", "url": "https://docs.aws.amazon.com/IAM/x.html"}
    with pytest.raises(BankError, match="not listed"):
        build_question(raw)


@pytest.mark.django_db
def test_manage_quizbank_shows_at_least_25_questions_for_1_2_and_1_3_and_the_audit_figures() -> None:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("quizbank", "--audit", "--reports", stdout=out)
    text = out.getvalue()
    totals = {line.split(":")[0].split()[-1]: int(line.split()[-1]) for line in text.splitlines()
              if line.startswith("Task 1.")}
    assert totals["1.1"] >= 80 and totals["1.2"] >= 25 and totals["1.3"] >= 25, totals
    assert "exhibits AWS would refuse (other than the mistake an item shows): 0" in text
    assert "links that do not name their topic: 0" in text and "open reports: 0" in text
