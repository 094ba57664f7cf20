"""Automated accessibility checks on representative pages: names for every control, one h1 and no skipped heading
levels, the four landmarks, a skip link that works from the keyboard, WCAG AA text contrast (4.5:1, large text 3:1)
in normal and "Large text" (projector) mode, no sideways scrolling on a 390-px phone, and focus plus a spoken summary
after htmx actions. The last test feeds the checkers known-bad markup, so a checker that stopped seeing problems
fails instead of passing everything.

Contrast follows WCAG 2.x relative luminance (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio); "large" is at
least 24 px, or 18.66 px bold (https://www.w3.org/TR/WCAG21/#dfn-large-scale)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S1_STEP = "/scenarios/cross-account-auditors/assume-audit-role/"

# Every visible text node's colour against the background it sits on (ancestors' colours composited, opacity
# included). Text over a background image is skipped: there is none in the lab.
CONTRAST_JS = r"""
() => {
  function parse(c) { const m = c && c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(parseFloat); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; }
  function lin(v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
  function lum(c) { return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]); }
  function over(top, bottom) { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]); }
  function background(el) {
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.backgroundImage && cs.backgroundImage !== "none") return null;
      const c = parse(cs.backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let col = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) col = over(layers[i], col);
    return col;
  }
  function opacity(el) { let o = 1; for (let e = el; e && e.nodeType === 1; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity); return o; }
  const failures = []; let checked = 0; const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.nodeValue.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    if (el.closest(".visually-hidden, .quiz-sr, .skip-link, [aria-hidden=true], :disabled")) continue;
    const range = document.createRange(); range.selectNodeContents(n);
    const rect = range.getBoundingClientRect();
    if (rect.width < 2 || rect.height < 2) continue;
    const cs = getComputedStyle(el);
    const fg = parse(cs.color), bg = background(el);
    if (!fg || !bg) continue;
    fg[3] *= opacity(el);
    const l1 = lum(over(fg, bg)), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    checked++;
    if (ratio + 0.005 < need) failures.push(`"${n.nodeValue.trim().slice(0, 40)}" ${ratio.toFixed(2)}:1 < ${need}:1 ` +
      `(${cs.color} on rgb(${bg.slice(0, 3).map(Math.round)}), ${size}px, <${el.tagName.toLowerCase()} class="${el.className}">)`);
  }
  return { checked, failures };
}
"""

OUTLINE_JS = r"""
() => {
  const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].filter(h => h.checkVisibility())
    .map(h => [parseInt(h.tagName[1], 10), h.textContent.replace(/\s+/g, " ").trim().slice(0, 50)]);
  const skips = [];
  for (let i = 1; i < headings.length; i++)
    if (headings[i][0] > headings[i - 1][0] + 1) skips.push(`h${headings[i - 1][0]} "${headings[i - 1][1]}" -> h${headings[i][0]} "${headings[i][1]}"`);
  const images = [...document.querySelectorAll("img:not([alt])")].map(i => i.src).concat(
    [...document.querySelectorAll("svg")].filter(s => !s.closest("[aria-hidden=true]") &&
      !(s.getAttribute("role") === "img" && (s.getAttribute("aria-label") || s.querySelector("title")))).map(s => "svg"));
  return { lang: document.documentElement.lang, h1: headings.filter(h => h[0] === 1).map(h => h[1]), skips, images };
}
"""

NAMED_ROLES = {"button", "link", "textbox", "searchbox", "combobox", "listbox", "checkbox", "radio", "spinbutton",
               "slider", "switch", "menuitem", "tab", "image", "img", "region"}
LANDMARKS = ("banner", "navigation", "main", "contentinfo")


def accessibility_tree_problems(page: Page) -> list[str]:
    """Controls without an accessible name and missing landmarks, from Chromium's own accessibility tree."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
        problems, landmarks = [], {role: 0 for role in LANDMARKS}
        for node in nodes:
            if node.get("ignored"):
                continue
            role = node.get("role", {}).get("value")
            if role in landmarks:
                landmarks[role] += 1
            if role in NAMED_ROLES and not str((node.get("name") or {}).get("value", "")).strip():
                described = cdp.send("DOM.describeNode", {"backendNodeId": node["backendDOMNodeId"]})["node"]
                problems.append(f"{role} without a name: <{described['localName']} {described.get('attributes', [])[:6]}>")
        problems += [f"no {role} landmark" for role, count in landmarks.items() if count == 0]
        problems += ["more than one main landmark"] if landmarks["main"] > 1 else []
        return problems
    finally:
        cdp.detach()


def page_problems(page: Page) -> list[str]:
    outline = page.evaluate(OUTLINE_JS)
    problems = [] if outline["lang"] == "en" else [f"<html lang={outline['lang']!r}>"]
    if len(outline["h1"]) != 1:
        problems.append(f"{len(outline['h1'])} h1 elements: {outline['h1']}")
    problems += [f"heading level skipped: {s}" for s in outline["skips"]]
    problems += [f"image without a text alternative: {i}" for i in outline["images"]]
    return problems + accessibility_tree_problems(page)


def contrast_problems(page: Page, mode: str) -> list[str]:
    result = page.evaluate(CONTRAST_JS)
    assert result["checked"] > 5, "the contrast check found almost no text: is the page empty?"
    return [f"[{mode}] {f}" for f in result["failures"]]


def overflow_problems(page: Page, mode: str) -> list[str]:
    extra = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return [f"[{mode}, 390 px] the page scrolls sideways by {extra} px"] if extra > 0 else []


def set_large(page: Page, on: bool) -> None:
    page.evaluate("on => document.documentElement.classList.toggle('large', on)", on)


def check_current_page(page: Page) -> list[str]:
    """Everything automatable about the page as it is now, in both text modes and at phone width."""
    problems = page_problems(page)
    for large in (False, True):
        mode = "Large text" if large else "normal"
        set_large(page, large)
        problems += contrast_problems(page, mode)
        page.set_viewport_size({"width": 390, "height": 844})
        problems += overflow_problems(page, mode)
        page.set_viewport_size({"width": 1280, "height": 900})
    set_large(page, False)
    return problems


def test_representative_pages_pass_the_automated_checks(page):
    problems: dict[str, list[str]] = {}

    def check(label: str) -> None:
        found = check_current_page(page)
        if found:
            problems[label] = found

    for path in ("/", "/quiz/", "/sandbox/terminal/", "/no/such/page/"):
        page.goto(path)
        check(path)
    # A step after a run and a refused what-if: result, decision trace, policies, credentials card, trust editor.
    page.goto(S1_STEP)
    page.locator("[data-run-step]").click()
    expect(page.locator("#result .result-headline.good")).to_be_visible()
    page.locator("[data-what-if='wrong-external-id']").click()
    expect(page.locator("#result .call-error")).to_be_visible()
    check("scenario 1 step after a run and a what-if")
    # The SAML anatomy: tables of URLs and ARNs, a radio group.
    page.goto("/federation/idp/login/")
    page.fill("#idp-username", "alice")
    page.fill("#idp-password", "securecart")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".assertion-anatomy")).to_be_visible()
    check("federation SAML response")
    assert not problems, "\n".join(f"{label}:\n  " + "\n  ".join(found) for label, found in problems.items())


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page):
    page.goto(S1_STEP)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link must be on screen"
    outline = skip.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none", "the focused skip link needs a visible focus outline"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside the content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_large_text_persists_across_pages_and_enlarges_the_countdown(page):
    page.goto(S1_STEP)
    page.locator("[data-run-step]").click()
    value = page.locator("[data-countdown-text]").first
    expect(value).to_be_visible()
    normal_size = value.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    toggle = page.get_by_role("button", name="Large text")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.goto("/quiz/")
    expect(page.locator("html")).to_have_class("large")
    expect(page.get_by_role("button", name="Large text")).to_have_attribute("aria-pressed", "true")
    page.goto(S1_STEP)
    assert page.locator("[data-countdown-text]").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") \
        >= normal_size * 1.25


def test_htmx_actions_move_focus_to_the_answer_and_say_what_happened(page):
    page.goto(S1_STEP)
    page.locator("[data-what-if='wrong-external-id']").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_be_focused()
    expect(page.locator("#lab-announcer")).to_contain_text("403 AccessDenied")
    # A trust policy that does not parse: back in the (re-rendered) textarea, which names the error.
    page.locator("#trust-document").fill('{"Version": "2012-10-17", "Statement": [')
    page.locator("[data-save-trust]").focus()
    page.keyboard.press("Enter")
    editor = page.locator("#trust-document")
    expect(editor).to_be_focused()
    expect(editor).to_have_attribute("aria-describedby", "trust-error")
    expect(page.get_by_role("alert")).to_contain_text("MalformedPolicyDocument")


def test_the_countdown_is_silent_each_second_and_speaks_on_expiry(page):
    page.goto(S1_STEP)
    page.locator("[data-run-step]").click()
    card = page.locator("#creds-audit-session")
    expect(card.locator("[data-countdown-text]")).to_be_visible()
    # The ticking value sits in no live region; only the status line (state changes) is one.
    assert card.locator("[data-countdown-text]").evaluate(
        "e => e.closest('[aria-live], [role=status], [role=alert], [role=timer]') === null")
    expect(card.locator("[data-countdown-status]")).to_have_attribute("role", "status")
    expect(card.locator("[data-countdown-status]")).to_have_text("")
    card.locator("[data-ff-expiry]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#creds-audit-session [data-countdown-status]")).to_have_text("Expired.")
    expect(page.locator("#creds-audit-session [data-prove-expired]")).to_be_focused()
    expect(page.locator("#lab-announcer")).to_contain_text("expired")


def test_demo_shortcuts_run_the_step_but_not_while_typing_and_can_be_switched_off(page):
    page.goto(S1_STEP)
    result_headline = page.locator("#result .result-headline")
    # Typing an "r" in the trust editor edits the policy; it does not run the step.
    editor = page.locator("#trust-document")
    before = editor.input_value()
    editor.focus()
    page.keyboard.type("r")
    page.wait_for_timeout(300)
    expect(result_headline).to_have_count(0)
    assert editor.input_value().count("r") == before.count("r") + 1
    # Outside a text box, "r" runs it.
    page.locator("main h1").click()
    page.keyboard.press("r")
    expect(result_headline).to_contain_text("Call AssumeRole")
    # "?" opens the list of shortcuts; switching them off there silences them on the next page too.
    page.locator("main h1").click()
    page.keyboard.press("?")
    panel = page.locator("#shortcuts")
    expect(panel).to_have_attribute("open", "")
    expect(panel).to_contain_text("Next / previous step")
    panel.get_by_label("Use these single-key shortcuts").uncheck()
    page.reload()
    ran_at = page.locator("#result .ran-at").inner_text()  # the page shows the last run again after a reload
    page.wait_for_timeout(1100)  # so that a new run would show a later time
    page.locator("main h1").click()
    page.keyboard.press("n")
    page.keyboard.press("r")
    page.wait_for_timeout(400)
    assert page.url.endswith(S1_STEP)
    expect(page.locator("#result .ran-at")).to_have_text(ran_at)
    page.locator("#shortcuts summary").click()
    page.get_by_label("Use these single-key shortcuts").check()
    page.locator("main h1").click()
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(r"/cross-account-auditors/read-security-logs/$"))


def test_the_checks_catch_known_problems(page):
    """Feed the checkers bad markup: each must report it."""
    page.goto("/quiz/")
    # Styles go in through the DOM (el.style): the page's Content-Security-Policy refuses style="..." in markup.
    page.evaluate("""() => { document.querySelector("main").insertAdjacentHTML("beforeend",
        '<p data-css="color:#9a9a9a">grey on white</p><input type="text"><button></button>' +
        '<h2>a section</h2><h4>a jump from h2</h4><h1>a second h1</h1><img src="/static/favicon.svg">' +
        '<pre data-css="white-space:pre">' + 'x'.repeat(400) + '</pre>');
        document.querySelectorAll("[data-css]").forEach(el => { el.style.cssText = el.dataset.css; }); }""")
    problems = page_problems(page)
    assert any("2 h1 elements" in p for p in problems), problems
    assert any("heading level skipped" in p and "a jump from h2" in p for p in problems), problems
    assert any(p.startswith("textbox without a name") for p in problems), problems
    assert any(p.startswith("button without a name") for p in problems), problems
    assert any("image without a text alternative" in p for p in problems), problems
    assert any("grey on white" in p for p in contrast_problems(page, "normal")), "contrast check missed #9a9a9a"
    page.set_viewport_size({"width": 390, "height": 844})
    assert overflow_problems(page, "normal"), "overflow check missed a 400-character <pre>"
