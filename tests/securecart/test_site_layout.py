"""The site's frame (templates/base.html): the main navigation and per-app assets in <head>."""
from __future__ import annotations

import re

import pytest


def _nav(html: str) -> str:
    return re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)


@pytest.mark.parametrize("url", ["/", "/quiz/", "/federation/", "/sandbox/"])
def test_main_navigation_reaches_every_part_of_the_lab(learner, url):
    nav = _nav(learner.client.get(url).content.decode())
    for href, label in (("/", "Scenarios"), ("/federation/", "Federation"), ("/quiz/", "Quiz"),
                        ("/sandbox/", "My sandbox"), ("/sandbox/terminal/", "Use your own terminal")):
        assert f'<a href="{href}">{label}</a>' in nav


@pytest.mark.parametrize("url", ["/quiz/", "/quiz/live/", "/quiz/questions/"])
def test_quiz_pages_load_their_stylesheet_in_head_not_in_main(learner, url):
    r = learner.client.get(url)
    assert r.status_code == 200
    html = r.content.decode()
    head, body = html.split("</head>", 1)
    assert "quiz/quiz.css" in head and "quiz/quiz.js" in head
    assert "quiz/quiz.css" not in body and "<link" not in body


def test_reset_confirms_what_it_did(learner):
    r = learner.client.post("/sandbox/reset/", follow=True)
    assert r.status_code == 200 and r.redirect_chain[-1][0] == "/sandbox/"
    html = r.content.decode()
    assert 'role="status">Your sandbox was reset' in html
    # Shown once, not on every later page.
    assert "Your sandbox was reset" not in learner.client.get("/sandbox/").content.decode()


def test_the_reset_button_gets_the_rebuilt_page_in_one_answer(learner):
    # The page's form is boosted (htmx): one POST answered with the sandbox page, the address kept at /sandbox/.
    form = learner.client.get("/sandbox/").content.decode()
    assert 'hx-boost="true"' in form and "hx-confirm=" in form and "data-confirm" not in form.split("Reset my")[1]
    r = learner.client.post("/sandbox/reset/", HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true")
    assert r.status_code == 200 and r.headers["HX-Replace-Url"] == "/sandbox/"
    assert "no-store" in r.headers["Cache-Control"]
    html = r.content.decode()
    assert 'role="status">Your sandbox was reset' in html and "<h1>My sandbox" in html
    assert "Your sandbox was reset" not in learner.client.get("/sandbox/").content.decode()


def test_a_stale_form_gets_a_page_that_explains_it(learner):
    from django.test import Client

    r = Client(enforce_csrf_checks=True).post("/sandbox/reset/")
    assert r.status_code == 403
    html = r.content.decode()
    assert "That page was out of date" in html and "Nothing was changed" in html and 'class="site-header"' in html
