"""Every view that reads a form field reads it through a Django form (issue 8, "Views"): a bad value (missing,
malformed, oversized) gets a clear 4xx answer with a message, a good one does what the page offers."""
from __future__ import annotations

import pytest

S1 = "cross-account-auditors"


# ---- scenarios -----------------------------------------------------------------------------------------------
def test_run_with_an_oversized_what_if_is_a_400_saying_why(learner):
    # a what-if's name is a slug of at most 64 characters: anything longer is no name at all (issue 23)
    r = learner.client.post(learner.step_url(S1, "assume-audit-role", "run"), {"variant": "x" * 5000})
    assert r.status_code == 400 and "at most 64 characters" in r.content.decode()


def test_run_without_a_variant_runs_the_step(learner):
    r = learner.client.post(learner.step_url(S1, "meet-the-auditor", "run"), {})
    assert r.status_code == 302
    assert learner.last_result(S1, "meet-the-auditor")["variant"] == ""


def test_fast_forward_without_an_amount_is_a_400_with_the_choices(learner):
    r = learner.client.post(learner.step_url(S1, "assume-audit-role", "clock"), {})
    assert r.status_code == 400 and "Choose +5 min, +15 min" in r.content.decode()
    learner.sandbox.refresh_from_db()
    assert learner.sandbox.clock_offset_seconds == 0


def test_fast_forward_by_five_minutes_moves_the_clock(learner):
    r = learner.client.post(learner.step_url(S1, "assume-audit-role", "clock"), {"by": "5m"})
    assert r.status_code == 302 and r["Location"].endswith("#sessions")
    learner.sandbox.refresh_from_db()
    assert learner.sandbox.clock_offset_seconds == 300


def test_trust_editor_without_a_document_says_it_is_empty(learner):
    r = learner.client.post(learner.step_url(S1, "assume-audit-role", "trust"), {})
    assert r.status_code == 400 and "The policy is empty" in r.content.decode()


def test_trust_editor_with_a_null_character_gets_the_parser_s_message_not_django_s(learner):
    r = learner.client.post(learner.step_url(S1, "assume-audit-role", "trust"), {"document": '{"a\x00": 1}'})
    html = r.content.decode()
    assert r.status_code == 400 and "U+0000" in html and "Null characters are not allowed" not in html


# ---- sandboxes -----------------------------------------------------------------------------------------------
def test_sandbox_clock_out_of_range_is_a_400_with_the_message(learner):
    for minutes in ("", "0", "1441", "9" * 400):
        r = learner.client.post("/sandbox/clock/", {"minutes": minutes})
        assert r.status_code == 400 and "whole number of minutes between 1 and 1440" in r.content.decode()
    learner.sandbox.refresh_from_db()
    assert learner.sandbox.clock_offset_seconds == 0


def test_sandbox_clock_moves_forward_by_the_minutes_given(learner):
    r = learner.client.post("/sandbox/clock/", {"minutes": "30"})
    assert r.status_code == 302
    learner.sandbox.refresh_from_db()
    assert learner.sandbox.clock_offset_seconds >= 1800


def test_next_mfa_code_goes_back_only_to_this_site(learner):
    r = learner.client.post("/sandbox/clock/next-mfa-code/", {"back": "https://evil.example/"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Redirect"] == "/sandbox/"
    r = learner.client.post("/sandbox/clock/next-mfa-code/", {"back": "x" * 5000})
    assert r.status_code == 302 and r["Location"] == "/sandbox/"
    r = learner.client.post("/sandbox/clock/next-mfa-code/", {"back": "/federation/"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Redirect"] == "/federation/"


# ---- challenges ----------------------------------------------------------------------------------------------
def test_console_refuses_an_oversized_command_and_shows_it_back_cut_to_the_limit(learner):
    from challenges import console

    r = learner.client.post("/challenges/console/run/", {"command": "aws " + "x" * 20_000,
                                                         "identity": "key:production/lab-admin"},
                            HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 400 and "at most" in html
    assert "x" * (console.MAX_COMMAND_CHARS - 4) in html and "x" * console.MAX_COMMAND_CHARS not in html


def test_console_without_an_identity_is_refused_with_a_message(learner):
    r = learner.client.post("/challenges/console/run/", {"command": "aws sts get-caller-identity"})
    assert r.status_code == 400 and "This field is required" in r.content.decode()


# ---- federation ----------------------------------------------------------------------------------------------
def test_idp_login_with_an_oversized_user_name_is_a_400_with_the_limits(learner):
    r = learner.client.post("/federation/idp/login/", {"username": "a" * 500, "password": "securecart"})
    assert r.status_code == 400 and "A user name is at most 64 characters." in r.content.decode()


@pytest.mark.parametrize("fields, message", [
    ({"username": "alice", "password": "p" * 129}, "A password is at most 128 characters."),
    ({"username": "ali\x00ce", "password": "securecart"}, "A user name cannot contain a null character."),
    ({"username": "alice", "password": "secure\x00cart"}, "A password cannot contain a null character."),
])
def test_idp_login_says_which_field_was_refused_and_signs_no_one_in(learner, fields, message):
    r = learner.client.post("/federation/idp/login/", {**fields, "next": "portal"})
    assert r.status_code == 400 and message in r.content.decode()
    assert "federation_portal" not in learner.client.session and "federation_saml_b64" not in learner.client.session


def test_idp_login_with_an_unknown_next_signs_in_to_aws(learner):
    r = learner.client.post("/federation/idp/login/?next=elsewhere", {"username": "alice", "password": "securecart"})
    assert r.status_code == 302 and r["Location"] == "/federation/idp/saml-response/"


def test_saml_redeem_with_an_oversized_role_is_a_400(learner):
    learner.client.post("/federation/idp/login/", {"username": "alice", "password": "securecart", "next": "aws"})
    r = learner.client.post("/federation/idp/saml-response/", {"role": "arn:" + "x" * 5000})
    assert r.status_code == 400 and "Pick one of the roles" in r.content.decode()


def test_oidc_token_with_an_oversized_branch_is_a_400_and_issues_nothing(learner):
    r = learner.client.post("/federation/oidc/token/", {"action": "issue", "issuer": "github", "branch": "b" * 101})
    assert r.status_code == 400 and "at most 100 characters" in r.content.decode()
    assert "federation_jwt" not in learner.client.session
    r = learner.client.post("/federation/oidc/token/", {"action": "issue", "issuer": "nope", "branch": "dev"})
    assert r.status_code == 200 and learner.client.session["federation_jwt"].count(".") == 2


def test_jwt_viewer_refuses_an_oversized_token_with_a_message(learner):
    r = learner.client.post("/federation/inspect/jwt/", {"token": "e" * 61_000})
    assert r.status_code == 400 and "longer than 60000 characters" in r.content.decode()


def test_saml_viewer_refuses_an_oversized_assertion_under_the_upload_cap_with_a_message(learner):
    r = learner.client.post("/federation/inspect/saml/", {"assertion": "P" * 61_000})
    assert r.status_code == 400 and "longer than 60000 characters" in r.content.decode()


def test_tamper_bench_refuses_an_oversized_assertion_and_keeps_the_role_arn(learner):
    role = "arn:aws:iam::123456789012:role/KeepThisRole"
    r = learner.client.post("/federation/tamper/", {"kind": "saml", "xml": "<" * 61_000, "action": "submit",
                                                    "role_arn": role})
    html = r.content.decode()
    assert r.status_code == 400 and "longer than 60000 characters" in html and role in html
    assert "Submitted to STS" not in html


def test_tamper_bench_sends_a_long_role_arn_to_sts_which_refuses_it(learner):
    r = learner.client.post("/federation/tamper/", {"kind": "saml", "action": "submit", "role_arn": "x" * 3000})
    html = r.content.decode()
    assert r.status_code == 200 and ("ValidationError" in html or "AccessDenied" in html)


def test_portal_credentials_with_a_malformed_account_is_a_400(learner):
    learner.client.post("/federation/idp/login/", {"username": "alice", "password": "securecart", "next": "portal"})
    r = learner.client.post("/federation/portal/credentials/", {"account_id": "12", "permission_set": "x" * 100})
    assert r.status_code == 400 and "Choose one of the accounts" in r.content.decode()


# ---- classroom -----------------------------------------------------------------------------------------------
from tests.classroom.test_classroom import classroom, instructor, join, other_instructor  # noqa: E402,F401  (fixtures, helper)


def test_class_bar_poll_with_an_oversized_page_and_version_still_answers(classroom):
    alice_client, alice = join(classroom, "alice")
    r = alice_client.get("/class/bar/", {"at": "/" + "p" * 5000, "v": "v" * 5000}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="class-bar"' in r.content.decode()
    alice.refresh_from_db()
    assert alice.last_seen is not None and (alice.at_scenario, alice.at_step) == ("", "")


def test_follow_controls_refuse_a_missing_step_and_release_with_the_flag(instructor, classroom):
    r = instructor.post(f"/class/{classroom.code}/follow/", {"scenario": S1})
    assert r.status_code == 400 and "Name a scenario and step" in r.content.decode()
    instructor.post(f"/class/{classroom.code}/follow/", {"scenario": S1, "step": "assume-audit-role"})
    r = instructor.post(f"/class/{classroom.code}/follow/", {"release": "1", "at": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == f"/class/{classroom.code}/"
    classroom.refresh_from_db()
    assert not classroom.follow_url()


def test_end_class_ends_and_reopen_reopens(instructor, classroom):
    instructor.post(f"/class/{classroom.code}/end/", {"reopen": ""})
    classroom.refresh_from_db()
    assert classroom.ended_at is not None
    instructor.post(f"/class/{classroom.code}/end/", {"reopen": "1"})
    classroom.refresh_from_db()
    assert classroom.ended_at is None


@pytest.mark.parametrize("value", ["banana", "no", "false", "on" * 100, "o\x00n"])
def test_class_bar_switches_refuse_anything_but_on_or_nothing_and_change_nothing(classroom, value):
    # Django's BooleanField reads "banana" (and "no") as on: the bar's switches take only what its buttons post
    alice_client, alice = join(classroom, "alice")
    alice_client.post("/class/bar/hand/", {"raised": "on"})
    alice.refresh_from_db()
    raised_at, following = alice.hand_raised_at, alice.following
    assert raised_at is not None
    r = alice_client.post("/class/bar/hand/", {"raised": value}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and "“raised” is “on” (hand up) or left out (hand down)" in r.content.decode()
    r = alice_client.post("/class/bar/following/", {"following": value}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and "“following” is “on” (follow the instructor)" in r.content.decode()
    alice.refresh_from_db()
    assert (alice.hand_raised_at, alice.following) == (raised_at, following)


def test_class_bar_switches_turn_on_and_off(classroom):
    alice_client, alice = join(classroom, "alice")
    alice_client.post("/class/bar/hand/", {"raised": "on"})
    alice_client.post("/class/bar/following/", {})
    alice.refresh_from_db()
    assert alice.hand_raised_at is not None and alice.following is False
    alice_client.post("/class/bar/hand/", {"raised": ""})
    alice_client.post("/class/bar/following/", {"following": "on"})
    alice.refresh_from_db()
    assert alice.hand_raised_at is None and alice.following is True


def test_student_only_actions_refuse_a_visitor_in_no_class(db):
    from django.test import Client

    assert Client().post("/class/bar/following/", {"following": "on"}).status_code == 403
    assert Client().post("/class/bar/poll/1/vote/", {"choice": "allowed"}).status_code == 403


def test_instructor_controls_are_404_on_a_class_someone_else_runs(classroom, other_instructor):
    assert other_instructor.post(f"/class/{classroom.code}/end/").status_code == 404
    assert other_instructor.get(f"/class/{classroom.code}/roster/").status_code == 404


# ---- quiz ----------------------------------------------------------------------------------------------------
def test_quiz_browse_with_an_oversized_topic_is_a_400_and_a_known_one_filters(db):
    from django.test import Client

    r = Client().get("/quiz/questions/", {"topic": "t" * 5000})
    assert r.status_code == 400 and "Unknown topic" in r.content.decode()
    assert Client().get("/quiz/questions/", {"topic": ""}).status_code == 200


def test_quiz_answer_with_too_many_choices_is_explained_and_an_oversized_button_stays(db):
    from django.test import Client

    from quiz.models import Attempt

    client = Client()
    client.post("/quiz/start/", {"mode": "exam", "count": "2", "minutes": "10"})
    attempt = Attempt.objects.get()
    url = f"/quiz/a/{attempt.pk}/q/1/"
    r = client.post(url, {"choice": list("abcdefgh"), "go": "next"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'role="alert"' in r.content.decode()
    # an unknown button says so (htmx: a 200 so the panel swaps in, as every refused answer does) and moves nowhere
    r = client.post(url, {"go": "n" * 5000}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "The button pressed is not one this page has." in r.content.decode()
    assert "HX-Push-Url" not in r


def test_quiz_review_with_an_unknown_filter_shows_every_question(db):
    from django.test import Client

    from quiz.models import Attempt

    client = Client()
    client.post("/quiz/start/", {"mode": "practice", "count": "2"})
    attempt = Attempt.objects.get()
    client.post(f"/quiz/a/{attempt.pk}/submit/")
    r = client.get(f"/quiz/a/{attempt.pk}/review/", {"only": "x" * 500})
    assert r.status_code == 200 and r.content.decode().count('class="quiz-review-item') == 2


def test_live_host_action_oversized_is_unknown_and_a_poll_with_a_stale_version_refreshes(db):
    from django.test import Client

    from tests.quiz.test_quiz_live import open_room

    host = Client()
    room = open_room(host)
    r = host.post(f"/quiz/live/{room.code}/host/action/", {"action": "s" * 5000})
    assert r.status_code == 400 and "Unknown action" in r.content.decode()
    r = host.get(f"/quiz/live/{room.code}/host/panel/", {"v": "v" * 5000}, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Refresh"] == "true"


def test_live_join_page_prefills_only_a_well_formed_code(db):
    from django.test import Client

    r = Client().get("/quiz/live/join/", {"code": "ab-cd ef"})
    assert r.status_code == 302 and r["Location"] == "/quiz/live/?code=ABCDEF"
    r = Client().get("/quiz/live/join/", {"code": "x" * 5000})
    assert r.status_code == 302 and r["Location"] == "/quiz/live/"


# ---- trail ---------------------------------------------------------------------------------------------------
def test_event_history_with_a_malformed_page_shows_the_first_page(learner):
    for page in ("x" * 5000, "-3", "2"):
        r = learner.client.get("/trail/", {"page": page})
        assert r.status_code == 200 and "Event history" in r.content.decode()


def test_class_bar_poll_keeps_the_page_when_the_version_is_long(instructor, classroom):
    # The bar's version joins the follow URL, the poll and its reveal time: it may be far longer than 64 characters.
    alice_client, alice = join(classroom, "alice")
    step = f"/scenarios/{S1}/assume-audit-role/"
    alice_client.get("/class/bar/", {"at": step, "v": "v" * 1500}, HTTP_HX_REQUEST="true")
    alice.refresh_from_db()
    assert (alice.at_scenario, alice.at_step) == (S1, "assume-audit-role")
