"""The room as a class lives it (issue 28, "Done when"): an instructor at 1920x1080 in presenter mode and three
students on 390x844 phones. They join by the QR code's address, a poll reaches a student scrolled to the bottom of
the page, Reveal is refused until a Run made after the poll opened, the class quiz is answered with one tap without
scrolling, the split stays hidden until the reveal, each phone shows its rank after it, the projector's join
address is LAB_PUBLIC_URL and its answer chart fits the 1080 lines. No page raises a CSP violation."""
from __future__ import annotations

import os
import re

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import expect

from quiz.bank import get_question
from quiz.models import Room
from securecart.joining import qr_svg

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

STEP = "/scenarios/cross-account-auditors/assume-audit-role/"
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}
NICKNAMES = ("ada", "bo", "cy")
# Two questions of the bank: a long one with a policy exhibit (the hardest to fit on a projector), then a plain one.
QUESTIONS = ["xacct-missing-external-id", "net-sg-reference-tiers"]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


def _context(browser, live_server, viewport, *, presenter=False):
    context = browser.new_context(viewport=viewport, base_url=live_server.url)
    context.set_default_timeout(30_000)  # joins build sandboxes; this machine is shared
    context.add_init_script(RECORD_VIOLATIONS)
    if presenter:
        context.add_init_script("localStorage.setItem('lab-present', '1')")
    return context


def _violations(page) -> list[str]:
    """The CSP violations the page's current document recorded. A phone's live panel may be reloading the page at
    that moment (follow-me, the room's next state): then read the new document once it has loaded."""
    from playwright.sync_api import Error

    for _ in range(3):
        page.wait_for_load_state()
        try:
            return page.evaluate("window.__cspViolations || []")
        except Error as error:
            if "Execution context was destroyed" not in str(error):
                raise
    raise AssertionError(f"{page.url} kept navigating")


def _shot(page, name: str) -> None:
    """ROOM_SHOTS=dir saves screenshots of each view, for looking at the layouts (not an assertion)."""
    folder = os.environ.get("ROOM_SHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"))


def _inside_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def _px(locator, prop: str) -> float:
    return float(locator.evaluate(f"e => parseFloat(getComputedStyle(e).{prop})"))


def test_a_class_with_a_projector_and_three_phones(browser, live_server, settings):
    settings.LAB_PUBLIC_URL = live_server.url   # what make class sets: the address phones reach
    user = User.objects.create_user("iris", password="a-long-classroom-password")
    user.user_permissions.add(Permission.objects.get(codename="run_class"))
    contexts = []
    pages = []
    try:
        teacher_ctx = _context(browser, live_server, PROJECTOR, presenter=True)
        contexts.append(teacher_ctx)
        teacher = teacher_ctx.new_page()
        pages.append(teacher)
        teacher.on("dialog", lambda dialog: dialog.accept())
        teacher.goto("/accounts/login/?next=/class/")
        teacher.get_by_label("Username").fill("iris")
        teacher.get_by_label("Password").fill("a-long-classroom-password")
        teacher.get_by_role("button", name=re.compile("Sign in", re.I)).click()
        teacher.get_by_label("Class name").fill("Room class")
        teacher.get_by_label("Students expected").fill("0")
        teacher.get_by_role("button", name="Open a class").click()

        # Presenter mode: no site chrome; the join address is LAB_PUBLIC_URL's, its QR code at least 400 px.
        expect(teacher.locator(".site-header")).to_be_hidden()
        code = teacher.locator(".class-join-box [data-class-code]").inner_text().strip()
        assert teacher.locator("[data-join-address]").inner_text() == f"{live_server.url}/class/"
        join_link = teacher.locator("[data-join-link]").inner_text()
        assert join_link == f"{live_server.url}/class/?code={code}"
        qr = teacher.locator(".class-qr svg")
        assert qr.bounding_box()["width"] >= 400
        # the QR code's modules are those of the join link (the same drawing the server makes for that address)
        drawn = re.search(r'class="qrline"[^>]* d="([^"]+)"', str(qr_svg(join_link, "x"))).group(1)
        assert qr.locator("path.qrline").get_attribute("d") == drawn
        _shot(teacher, "dashboard-empty")

        # Three phones open the QR code's address (the code is filled in) and type a nickname.
        phones = {}
        for nickname in NICKNAMES:
            context = _context(browser, live_server, PHONE)
            contexts.append(context)
            phone = context.new_page()
            pages.append(phone)
            phone.goto(join_link)
            expect(phone.get_by_label("Class code")).to_have_value(code)
            phone.get_by_label("Nickname").fill(nickname)
            phone.get_by_role("button", name="Join").click()
            expect(phone.locator("[data-nickname]")).to_have_text(nickname)
            phones[nickname] = phone
        expect(teacher.locator("[data-student-count]")).to_have_text("3")
        expect(teacher.locator("[data-summary-online]")).to_have_text("3")

        # The instructor runs the step, then opens a poll and brings everyone there.
        teacher.goto(STEP)
        expect(teacher.locator(".site-header")).to_be_hidden()
        teacher.get_by_role("button", name="Call AssumeRole").click()
        expect(teacher.locator("#result")).to_contain_text("AssumedRoleUser")
        teacher.get_by_role("button", name="Bring everyone here").click()
        expect(teacher.locator("[data-following-here]")).to_be_visible()
        for phone in phones.values():
            expect(phone).to_have_url(live_server.url + STEP)
        teacher.get_by_role("button", name="Ask the class: what will STS answer?").click()

        # Ada has scrolled to the bottom of the step page: the poll reaches her there, votes included.
        ada = phones["ada"]
        ada.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        cue = ada.locator("[data-cue-kind='poll']")
        expect(cue).to_be_visible()
        assert ada.evaluate("window.scrollY") > 500 and _inside_viewport(ada, cue.locator("[data-vote='allowed']"))
        expect(ada.locator("#lab-announcer")).to_contain_text("Class poll")
        _shot(ada, "phone-poll-at-the-bottom")
        for nickname, choice in zip(NICKNAMES, ("allowed", "allowed", "denied")):
            phones[nickname].locator(f"[data-cue-kind='poll'] [data-vote='{choice}']").click()
            expect(phones[nickname].locator(f"[data-vote='{choice}']")).to_have_attribute("aria-pressed", "true")
        expect(teacher.locator("[data-poll-answered]")).to_have_text("3 of 3 answered")

        # Reveal is refused: the Run on screen was made before the poll opened.
        teacher.get_by_role("button", name="Reveal next to the real answer").click()
        expect(teacher.locator(".class-bar-error")).to_contain_text("Run the step first")
        # A fresh Run, far down the page in large type: Reveal is still on screen (the host's bar sticks).
        teacher.get_by_role("button", name="Call AssumeRole").click()
        expect(teacher.locator("#result")).to_contain_text("AssumedRoleUser")
        teacher.wait_for_function("window.scrollY > 0")
        reveal = teacher.get_by_role("button", name="Reveal next to the real answer")
        assert _inside_viewport(teacher, reveal)
        _shot(teacher, "projector-step-after-run")
        reveal.click()
        expect(teacher.locator(".class-poll [data-poll-answer]")).to_have_attribute("data-poll-answer", "allowed")
        expect(phones["cy"].locator(".class-cue .class-cue-title")).to_have_text("Class poll revealed")
        expect(phones["cy"].locator(".class-cue")).to_contain_text("not this time")

        # The class quiz: count, seconds and topics chosen on the dashboard; the instructor owns the room.
        teacher.goto(f"/class/{code}/")
        teacher.get_by_label("Number of questions").fill("2")
        teacher.get_by_label("Seconds per question").fill("60")
        teacher.get_by_role("button", name="Start the class quiz").click()
        expect(teacher.get_by_role("button", name="Start the quiz")).to_be_visible()
        room = Room.objects.get(code=teacher.url.rstrip("/").split("/")[-2])
        assert room.owner == user and room.seconds_per_question == 60 and len(room.question_ids) == 2
        Room.objects.filter(pk=room.pk).update(question_ids=QUESTIONS)

        projector = teacher_ctx.new_page()
        pages.append(projector)
        projector.goto(f"/quiz/live/{room.code}/screen/")
        assert projector.locator("[data-join-address]").inner_text() == f"{live_server.url}/quiz/live/"
        assert projector.locator("[data-join-link]").get_attribute("data-join-link") == \
            f"{live_server.url}/quiz/live/?code={room.code}"
        assert projector.locator(".live-stage-qr svg").bounding_box()["width"] >= 400

        # Each phone gets the class-quiz cue and joins under its class nickname.
        for nickname, phone in phones.items():
            phone.locator("[data-cue-join-quiz]").click()
            expect(phone.get_by_role("heading", name=f"You're in, {nickname}!")).to_be_visible()
        expect(projector.locator("[data-live-players]")).to_have_text("3")
        _shot(projector, "projector-lobby")

        teacher.get_by_role("button", name="Start the quiz").click()
        expect(projector.locator(".live-stage-number")).to_contain_text("Question 1")
        stem = projector.locator("[data-live-stem]")
        assert _px(stem, "fontSize") >= 40
        assert _px(projector.locator(".live-stage-exhibit pre").first, "fontSize") >= 24
        _shot(projector, "projector-question")
        for selector in (".live-stage-number", ".quiz-live-timer", "[data-live-answered]", ".live-stage-options"):
            assert _inside_viewport(projector, projector.locator(selector).first), selector
        assert projector.locator(".live-stage-qr svg").bounding_box()["width"] >= 400   # joining is still open
        _shot(projector, "projector-question")

        # One tap answers: the buttons are in the first 844 px of each phone, no scrolling.
        question = get_question(QUESTIONS[0])
        right = next(o.key for o in question.options if o.correct)
        wrong = next(o.key for o in question.options if not o.correct)
        for nickname, phone in phones.items():
            buttons = phone.locator("button[data-live-answer]")
            expect(buttons).to_have_count(4)
            assert phone.evaluate("window.scrollY") == 0
            for i in range(4):
                assert _inside_viewport(phone, buttons.nth(i)), (nickname, i)
        _shot(ada, "phone-question")
        ada.locator(f"button[data-live-answer][value='{right}']").click()
        expect(ada.locator("[data-live-sent]")).to_be_visible()
        phones["bo"].locator(f"button[data-live-answer][value='{right}']").click()
        expect(phones["bo"].locator("[data-live-sent]")).to_be_visible()

        # Two of three answered: the projector says so, and shows nothing of what they chose.
        expect(projector.locator("[data-live-answered]")).to_have_text("2")
        assert projector.locator("[data-live-count]").count() == 0
        assert teacher.locator("[data-live-count]").count() == 0

        phones["cy"].locator(f"button[data-live-answer][value='{wrong}']").click()   # the last answer reveals
        chart = projector.locator("[data-live-chart]")
        expect(chart).to_be_visible()
        _shot(projector, "projector-reveal")
        box = chart.bounding_box()
        assert projector.evaluate("window.scrollY") == 0 and box["y"] + box["height"] <= 1080
        expect(projector.locator('[data-live-count]').first).to_be_visible()
        assert sum(int(projector.locator("[data-live-count]").nth(i).inner_text().split()[0])
                   for i in range(projector.locator("[data-live-count]").count())) == 3
        assert _inside_viewport(projector, projector.locator(".live-stage-top"))
        _shot(projector, "projector-reveal")

        # Each phone: right or wrong, points and its rank right after the reveal.
        expect(ada.get_by_role("heading", name="Correct!")).to_be_visible()
        expect(phones["cy"].get_by_role("heading", name="Not this time")).to_be_visible()
        ranks = {n: int(phones[n].locator("[data-live-rank-now]").get_attribute("data-live-rank-now")) for n in NICKNAMES}
        assert ranks["cy"] == 3 and sorted([ranks["ada"], ranks["bo"]]) in ([1, 2], [1, 1])
        expect(phones["cy"].locator(".live-play-rank")).to_contain_text("of 3")
        _shot(phones["cy"], "phone-reveal")

        for page in pages:
            assert _violations(page) == [], page.url
    finally:
        for context in contexts:
            context.close()
