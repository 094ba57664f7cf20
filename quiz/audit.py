"""Checks an SAA item writer runs on a bank: answer cues, exhibits AWS would refuse, links that teach nothing.

The test suite asserts them (tests/web/test_quiz_bank.py, test_quiz_generator.py) and `manage.py quizbank --audit`
prints them, so an outside review and the suite read the same figures.

- Length cue: in single-answer items, how often the keyed option is the longest (strictly longer than every
  distractor), and how often it is at least 30 % longer than every one (a test-wise candidate's cue; the exam's
  options are parallel). Measured in characters and in words.
- Key position by length: how often the key is the shortest, second, third or longest option. A bank that avoids
  the longest key by always making it the second longest has only moved the cue.
- Exhibits: every policy shown must be one AWS accepts for its kind (IAM's grammar for identity, trust, boundary
  and session policies; S3's PutBucketPolicy rules for bucket policies), except the one a "spot the mistake" item
  shows refused, which must be refused.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from engine.errors import MalformedPolicyDocument
from engine.policy import parse_policy
from engine.policy.bucket_policy import validate_bucket_policy

from .bank import Exhibit, Question

LONGER_BY = 1.3   # "at least 30 % longer than every distractor"


@dataclass(frozen=True)
class LengthCue:
    items: int             # single-answer items measured
    longest: int           # key strictly longer than every distractor (characters)
    much_longer: int       # key >= 30 % longer than every distractor (characters)
    longest_words: int     # the same in words
    much_longer_words: int
    key_rank: tuple[int, int, int, int]   # items whose key is the shortest .. the longest of the four

    def share(self, count: int) -> float:
        return count / self.items if self.items else 0.0


def _key_and_distractors(question: Question) -> tuple[str, list[str]]:
    key = next(o.text for o in question.options if o.correct)
    return key, [o.text for o in question.options if not o.correct]


def length_cue(questions: Iterable[Question]) -> LengthCue:
    singles = [q for q in questions if not q.multi]
    longest = much = longest_w = much_w = 0
    ranks: Counter[int] = Counter()
    for q in singles:
        key, others = _key_and_distractors(q)
        top = max(len(t) for t in others)
        top_w = max(len(t.split()) for t in others)
        longest += len(key) > top
        much += len(key) >= LONGER_BY * top
        longest_w += len(key.split()) > top_w
        much_w += len(key.split()) >= LONGER_BY * top_w
        ranks[sorted(len(o.text) for o in q.options).index(len(key))] += 1
    return LengthCue(len(singles), longest, much, longest_w, much_w, tuple(ranks[i] for i in range(4)))


def refused_exhibit(question: Question) -> str | None:
    """The exhibit a "spot the mistake" item shows refused by AWS (its engine parse check), if any."""
    if question.engine is not None and question.engine.check == "parse":
        return question.engine.spec["exhibit"]
    return None


def exhibit_problem(exhibit: Exhibit) -> str | None:
    """Why AWS would refuse this policy exhibit, or None when it would accept it (or it is not a policy)."""
    if exhibit.policy_kind is None:
        return None
    try:
        if exhibit.policy_kind == "resource":
            if not exhibit.bucket:
                return "a bucket policy exhibit does not name its bucket"
            validate_bucket_policy(exhibit.text, bucket=exhibit.bucket)
        else:
            parse_policy(exhibit.text, kind=exhibit.policy_kind)
    except MalformedPolicyDocument as exc:
        return f"{exc.code}: {exc.message}"
    return None


def exhibit_problems(question: Question) -> list[str]:
    """Every exhibit AWS would refuse, except the one the item is about; and that one if AWS would accept it."""
    problems = []
    refused = refused_exhibit(question)
    for exhibit in question.exhibits:
        problem = exhibit_problem(exhibit)
        if exhibit.name == refused:
            if problem is None:
                problems.append(f"{exhibit.name}: shown as refused, but AWS would accept it")
        elif problem is not None:
            problems.append(f"{exhibit.name}: {problem}")
    return problems
