"""A live class room in Chromium: a host, a signed-in co-host in a second browser and three players. The
per-question timer reveals the answer by itself, the fast right answer earns speed points, equal scores share a
place, the co-host moves on and ends the quiz, and the host downloads the results as CSV."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from quiz.bank import get_question
from quiz.models import LiveAnswer, Room

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _context(browser, live_server, width=1280, height=900):
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    return context


def _join(browser, live_server, code: str, nickname: str):
    context = _context(browser, live_server, width=390, height=844)  # a phone
    page = context.new_page()
    page.goto(f"/quiz/live/?code={code}")
    page.get_by_label("Nickname").fill(nickname)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name=f"You're in, {nickname}!")).to_be_visible()
    return context, page


def test_a_live_room_with_timer_speed_points_ties_cohost_and_csv(browser, live_server, django_user_model):
    django_user_model.objects.create_user("teacher", password="correct-horse-42")
    host_context = _context(browser, live_server)
    host = host_context.new_page()
    host.goto("/quiz/live/")
    host.get_by_label(re.compile("Room title")).fill("Friday STS")
    host.get_by_label(re.compile("Number of questions")).fill("2")
    host.get_by_label(re.compile("Seconds per question")).fill("5")
    host.get_by_role("button", name="Open a room").click()
    code = host.locator("[data-room-code]").inner_text().strip()
    room = Room.objects.get(code=code)

    # Two questions with policy exhibits, so the phones show policy text.
    Room.objects.filter(pk=room.pk).update(question_ids=["xacct-missing-external-id", "guard-permissions-boundary"])
    players = {name: _join(browser, live_server, code, name) for name in ("Ana", "Ben", "Cy")}
    expect(host.locator("[data-live-players]")).to_have_text("3")
    host.get_by_role("button", name="Start the quiz").click()
    expect(host.locator(".quiz-live-timer")).to_be_visible()

    # Ana answers right at once; Ben and Cy do not answer. The host sees who is still missing.
    ana = players["Ana"][1]
    expect(ana.locator("[data-live-clock]")).to_be_visible()
    room.refresh_from_db()
    question = get_question(room.current_question_id)
    # On a 390 px phone the question and its policy text are behind a disclosure (the answer buttons come first);
    # opened, the policy text wraps instead of running off the screen.
    ana.get_by_text("The question and its exhibit").click()
    exhibit = ana.locator(".quiz-exhibit pre").first
    expect(exhibit).to_be_visible()
    assert exhibit.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    assert exhibit.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    (key,) = question.correct_keys
    ana.locator(f"button[data-live-answer][value='{key}']").click()      # one tap answers
    expect(ana.get_by_text("You answered")).to_be_visible()
    expect(host.locator("[data-live-waiting]")).to_contain_text("Ben")
    expect(host.locator("[data-live-waiting]")).not_to_contain_text("Ana")

    # Nobody presses Reveal: the timer runs out and every screen shows the answer.
    expect(ana.get_by_role("heading", name="Correct!")).to_be_visible(timeout=20_000)
    expect(players["Ben"][1].get_by_role("heading", name="You did not answer this one")).to_be_visible()
    won = int(ana.locator("[data-live-points-won]").inner_text().strip("+"))
    assert 500 < won <= 1000 and won == LiveAnswer.objects.get(player__nickname="Ana").points
    expect(host.locator(".quiz-live-chart .quiz-badge-right").first).to_be_visible()

    # A signed-in instructor co-hosts from a second browser, moves on and ends the quiz.
    cohost_url = host.locator("[data-live-cohost-url]").input_value()
    teacher_context = _context(browser, live_server)
    teacher = teacher_context.new_page()
    teacher.goto(cohost_url)
    teacher.get_by_label("Username").fill("teacher")
    teacher.get_by_label("Password").fill("correct-horse-42")
    teacher.get_by_role("button", name="Sign in").click()
    teacher.get_by_role("button", name=f"Co-host room {code}").click()
    teacher.get_by_role("button", name="Next question →").click()
    expect(teacher.get_by_role("heading", name=re.compile("Question 2"))).to_be_visible()
    expect(host.get_by_role("heading", name=re.compile("Question 2"))).to_be_visible()  # the host's page follows
    teacher.get_by_role("button", name="End the quiz…").click()
    expect(teacher.get_by_text("End the quiz for all 3 players?")).to_be_visible()
    teacher.get_by_role("button", name="Yes, end the quiz").click()
    expect(teacher.get_by_role("heading", name="Final podium")).to_be_visible()

    # Ben and Cy both have 0 points: they share second place.
    host.reload()
    ranks = host.locator(".quiz-leaderboard tbody tr")
    expect(ranks).to_have_count(3)
    assert [ranks.nth(i).get_attribute("data-live-rank") for i in range(3)] == ["1", "2", "2"]
    expect(ranks.nth(0)).to_contain_text("Ana")
    expect(players["Cy"][1].locator("[data-live-my-rank]")).to_have_text("#2")
    expect(players["Cy"][1].get_by_role("button", name=re.compile("Review my 2 misses"))).to_be_visible()

    csv_text = host.request.get(f"/quiz/live/{code}/host/results.csv").text()
    lines = csv_text.splitlines()
    assert lines[0].startswith("rank,nickname,points,correct,answered,best_streak,q1 ")
    assert lines[1] == f"1,Ana,{won},1,1,1,right {won},"
    assert sorted(lines[2:]) == ["2,Ben,0,0,0,0,,", "2,Cy,0,0,0,0,,"]

    for context, _ in players.values():
        context.close()
    teacher_context.close()
    host_context.close()
