"""A class in Chromium: one instructor and three students, each in a browser context of their own."""
from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

S1 = "/scenarios/cross-account-auditors"
STEP = f"{S1}/assume-audit-role/"
NICKNAMES = ("ada", "bo", "cy")


def _context(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(30_000)  # joins build sandboxes; this machine is shared
    return context


def test_a_class_of_three(browser, live_server):
    user = User.objects.create_user("iris", password="a-long-classroom-password")
    user.user_permissions.add(Permission.objects.get(codename="run_class"))
    contexts = []
    try:
        teacher_ctx = _context(browser, live_server)
        contexts.append(teacher_ctx)
        teacher = teacher_ctx.new_page()
        teacher.on("dialog", lambda dialog: dialog.accept())
        teacher.goto("/accounts/login/?next=/class/")
        teacher.get_by_label("Username").fill("iris")
        teacher.get_by_label("Password").fill("a-long-classroom-password")
        teacher.get_by_role("button", name=re.compile("Sign in", re.I)).click()
        teacher.get_by_label("Class name").fill("Browser class")
        teacher.get_by_label("Students expected").fill("0")  # no background builds during the test
        teacher.get_by_role("button", name="Open a class").click()
        code = teacher.locator(".class-join-box [data-class-code]").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-9]{6}", code)
        expect(teacher.locator("[data-student-count]")).to_have_text("0")

        # Three students join by code, with a nickname only; the open dashboard's roster fills by itself.
        students = []
        for nickname in NICKNAMES:
            context = _context(browser, live_server)
            contexts.append(context)
            page = context.new_page()
            page.goto("/class/")
            page.get_by_label("Class code").fill(code.lower())
            page.get_by_label("Nickname").fill(nickname)
            page.get_by_role("button", name="Join").click()
            expect(page.locator("[data-nickname]")).to_have_text(nickname)
            students.append(page)
        expect(teacher.locator("[data-student-count]")).to_have_text("3")
        for nickname in NICKNAMES:
            expect(teacher.locator(f'tr[data-student="{nickname}"]')).to_be_visible()

        # Follow me: the instructor brings everyone to the AssumeRole step; the students' pages move there.
        teacher.goto(STEP)
        teacher.get_by_role("button", name="Bring everyone here").click()
        expect(teacher.locator("[data-following-here]")).to_be_visible()
        for page in students:
            expect(page).to_have_url(live_server.url + STEP)
        expect(teacher.locator("[data-class-bar]")).to_contain_text("3 students")

        # A prediction poll: opened on the step, answered on the students' pages, revealed with the real answer.
        teacher.get_by_role("button", name="Ask the class: what will STS answer?").click()
        choices = ["allowed", "allowed", "denied"]
        for page, choice in zip(students, choices):
            page.locator(f'[data-vote="{choice}"]').click()
            expect(page.locator(f'[data-vote="{choice}"]')).to_have_attribute("aria-pressed", "true")
        expect(teacher.locator("[data-poll-answered]")).to_have_text("3 of 3 answered")
        teacher.get_by_role("button", name="Call AssumeRole").click()
        expect(teacher.locator("#result")).to_contain_text("AssumedRoleUser")
        teacher.get_by_role("button", name="Reveal next to the real answer").click()
        expect(teacher.locator(".class-poll [data-poll-answer]")).to_have_attribute("data-poll-answer", "allowed")
        expect(teacher.locator('.class-poll [data-poll-row="allowed"] [data-poll-count]')).to_have_text("2")
        for page, choice in zip(students, choices):   # the students' floating class notice
            expect(page.locator(".class-cue [data-poll-answer]")).to_contain_text("Allowed")
            expect(page.locator(".class-cue")).to_contain_text("right" if choice == "allowed" else "not this time")

        # Each student assumes the role; the roster shows it.
        for page in students:
            page.get_by_role("button", name="Call AssumeRole").click()
            expect(page.locator("#result")).to_contain_text("AssumedRoleUser")
        teacher.goto(f"/class/{code}/")
        for nickname in NICKNAMES:
            row = teacher.locator(f'tr[data-student="{nickname}"]')
            expect(row.locator("[data-last-outcome]")).to_have_attribute("data-last-outcome", "allowed")
            expect(row.locator("[data-where]")).to_contain_text("Assume the audit role")
        expect(teacher.locator('[data-step-count="cross-account-auditors/assume-audit-role"] strong')).to_have_text("3")

        # Class fast-forward: one hour on every sandbox clock; every student's session has expired.
        teacher.locator('[data-class-clock="1h"]').click()
        expect(teacher.get_by_role("status").first).to_contain_text("Moved 3 sandbox clocks")
        for page in students:
            page.reload()
            card = page.locator("#creds-audit-session")
            expect(card.locator("[data-countdown-status]")).to_have_text("Expired.")
            card.get_by_role("button", name="Make a call with them").click()
            expect(page.locator("#result .outcome.error")).to_contain_text("ExpiredToken")

        # Reset every sandbox: clocks back to now, sessions gone.
        teacher.get_by_role("button", name="Reset every sandbox").click()
        expect(teacher.get_by_role("status").first).to_contain_text("Reset 3 sandboxes")
        for page in students:
            page.reload()
            expect(page.locator(".clock-line")).not_to_contain_text("fast-forwarded")
            expect(page.locator("#creds-audit-session [data-countdown]")).to_have_count(0)

        # The export: one row per student, steps done, the poll answer and whether it was right.
        response = teacher_ctx.request.get(f"/class/{code}/export.csv")
        assert response.ok and response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text())))
        by_name = {row["nickname"]: row for row in rows}
        assert set(by_name) == set(NICKNAMES)
        poll_column = next(c for c in rows[0] if c.startswith("poll 1:"))
        assert poll_column == "poll 1: cross-account-auditors/assume-audit-role (answer: allowed)"
        assert [by_name[n][poll_column] for n in NICKNAMES] == choices
        assert [by_name[n]["poll 1 correct"] for n in NICKNAMES] == ["yes", "yes", "no"]
        assert all(int(by_name[n]["steps_done"]) >= 1 for n in NICKNAMES)
    finally:
        for context in contexts:
            context.close()
