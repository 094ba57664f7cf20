"""Wildcard matching without backtracking (issue 9, item 2): the pathological inputs complete, the matcher agrees
with a reference on many seeded random patterns, and the case rules are AWS's.

No timing asserts: the old regex translation (`.*a.*a.*b`) needed more than len(value)**k steps for k stars, so the
big inputs below would not finish at all with it; here the number of character checks is counted instead."""
from __future__ import annotations

import random

from engine.policy import AuthzRequest, NamedPolicy, Principal, authorize, parse_policy
from engine.policy.patterns import arn_pattern, glob, glob_segments


def reference_match(pattern: str, value: str) -> bool:
    """The textbook dynamic programme over (pattern prefix, value prefix): obviously right, O(n*m)."""
    row = [True] + [False] * len(value)
    for ch in pattern:
        nxt = [row[0] and ch == "*"] + [False] * len(value)
        for i in range(1, len(value) + 1):
            if ch == "*":
                nxt[i] = nxt[i - 1] or row[i]
            elif ch == "?":
                nxt[i] = row[i - 1]
            else:
                nxt[i] = row[i - 1] and value[i - 1] == ch
        row = nxt
    return row[len(value)]


class CountingStr(str):
    """A value that counts the characters the matcher looks at one by one (str.find runs in C and is linear)."""
    reads = 0

    def __getitem__(self, index):
        CountingStr.reads += 1
        return str.__getitem__(self, index)


def test_it_agrees_with_the_reference_on_seeded_random_patterns():
    rng = random.Random(20261201)
    for _ in range(30_000):
        pattern = "".join(rng.choice("ab*?") for _ in range(rng.randint(0, 10)))
        value = "".join(rng.choice("ab") for _ in range(rng.randint(0, 14)))
        assert glob(pattern).match(value) is reference_match(pattern, value), (pattern, value)


def test_it_agrees_with_the_reference_on_wider_alphabets_and_long_values():
    rng = random.Random(9)
    for _ in range(2_000):
        pattern = "".join(rng.choice("abc:/-*?") for _ in range(rng.randint(1, 16)))
        value = "".join(rng.choice("abc:/-") for _ in range(rng.randint(0, 60)))
        assert glob(pattern).match(value) is reference_match(pattern, value), (pattern, value)


def test_literal_segments_never_turn_into_wildcards():
    # `${*}` and substituted variables arrive as literal segments: their * and ? are plain characters.
    literal_star = glob_segments((("home/", True), ("*", False), ("/?", True)))
    assert literal_star.match("home/*/x")
    assert not literal_star.match("home/alice/x")
    assert glob_segments((("a", True), ("?b", False), ("*", True))).match("a?bzzz")
    assert not glob_segments((("a", True), ("?b", False), ("*", True))).match("axbzzz")


def test_the_issue_inputs_complete_with_few_steps():
    # "a Deny statement with 6 wildcards ... 64-character GetObject"; "3 wildcards against 1,000 characters".
    cases = [("*a*a*a*a*a*a*b", "a" * 64), ("*a*a*a*b", "a" * 1000), ("arn:aws:s3:::*a*a*a*a*a*a*b", "a" * 5000),
             ("*a?a*a?a*a?a*b", "a" * 20_000), ("*?*?*?*?*?*?*?*?*b", "a" * 20_000)]
    for pattern, value in cases:
        CountingStr.reads = 0
        assert glob(pattern).match(CountingStr(value)) is False
        # at most one pass over the value per character of the pattern; the regex needed ~ len(value)**stars
        assert CountingStr.reads <= (len(value) + 1) * len(pattern), (pattern, CountingStr.reads)


def test_big_inputs_still_match_correctly():
    value = "x" * 50_000 + "needle" + "y" * 50_000 + "end"
    assert glob("*x*needle*y*end").match(value)
    assert glob("x*ne?dle*end").match(value)
    assert not glob("*needle*needle*").match(value)
    assert glob("*" * 500 + "end").match(value)


def test_actions_ignore_case_resources_and_like_conditions_do_not():
    # IAM User Guide, "IAM JSON policy elements: Action": action names are case-insensitive; Resource ARNs and
    # StringLike / ArnLike compare case-sensitively ("Condition operators").
    document = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "S3:get*", "Resource": "arn:aws:s3:::securecart-*/Public/*",
        "Condition": {"StringLike": {"aws:username": "Ali?e"},
                      "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/Ali*"}}}]})
    principal = Principal(arn="arn:aws:iam::123456789012:user/Alice", account="123456789012", kind="user",
                          username="Alice")
    policy = [NamedPolicy("p", document, "user")]

    def allowed(action: str, resource: str, username: str = "Alice", arn: str = principal.arn) -> bool:
        request = AuthzRequest(action, resource, principal, {"aws:username": username, "aws:PrincipalArn": arn})
        return authorize(request, identity=policy, resource_account="123456789012").allowed

    assert allowed("s3:GetObject", "arn:aws:s3:::securecart-images/Public/a.png")
    assert allowed("S3:GETOBJECT", "arn:aws:s3:::securecart-images/Public/a.png")
    assert not allowed("s3:GetObject", "arn:aws:s3:::securecart-images/public/a.png")
    assert not allowed("s3:GetObject", "arn:aws:s3:::securecart-images/Public/a.png", username="alice")
    assert not allowed("s3:GetObject", "arn:aws:s3:::securecart-images/Public/a.png",
                       arn="arn:aws:iam::123456789012:user/alice")


def test_arn_patterns_match_component_by_component():
    pattern = arn_pattern((("arn:aws:iam::*:role/*", True),), True)
    assert pattern.match("arn:aws:iam::123456789012:role/a/b:c")
    assert not pattern.match("arn:aws:iam::123456789012:user/role/x")
    # a wildcard never spans the colon between two of the first five components
    assert not arn_pattern((("arn:aws:*:role/x", True),), True).match("arn:aws:iam::123456789012:role/x")
