// SecureCart STS Lab: credential countdowns, the sandbox clock, the large-text toggle and failed-request notices.
// No dependencies.
(function () {
  "use strict";
  var WARN_SECONDS = 300;

  function format(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  // The server renders its sandbox time (real time + the sandbox's fast-forward offset) as data-now; the skew
  // between it and this browser's clock is fixed when the element is set up, so fast-forwarding moves the count.
  function setUp(card) {
    if (card.dataset.countdownReady) return;
    card.dataset.countdownReady = "1";
    var skewMs = parseFloat(card.dataset.now) * 1000 - Date.now();
    var expiresMs = parseFloat(card.dataset.expires) * 1000;
    var text = card.querySelector("[data-countdown-text]");
    var status = card.querySelector("[data-countdown-status]");
    var expiredBlock = card.querySelector("[data-when-expired]");
    var warned = false;
    function tick() {
      if (!document.body.contains(card)) return clearInterval(timer);
      var remaining = (expiresMs - (Date.now() + skewMs)) / 1000;
      text.textContent = format(remaining);
      if (remaining <= 0) {
        card.classList.remove("warning");
        card.classList.add("expired");
        if (status.textContent !== "Expired.") status.textContent = "Expired.";
        if (expiredBlock) expiredBlock.hidden = false;
        clearInterval(timer);
      } else if (remaining <= WARN_SECONDS && !warned) {
        warned = true;
        card.classList.add("warning");
        status.textContent = "Less than 5 minutes left.";
      }
    }
    var timer = setInterval(tick, 1000);
    tick();
  }

  function setUpClock(el) {
    if (el.dataset.clockReady) return;
    el.dataset.clockReady = "1";
    var skewMs = parseFloat(el.dataset.now) * 1000 - Date.now();
    var timer = setInterval(function () {
      if (!document.body.contains(el)) return clearInterval(timer);
      el.textContent = new Date(Date.now() + skewMs).toISOString().slice(0, 19).replace("T", " ") + " UTC";
    }, 1000);
  }

  function scan(root) {
    (root || document).querySelectorAll("[data-countdown]").forEach(setUp);
    (root || document).querySelectorAll("[data-sandbox-clock]").forEach(setUpClock);
  }

  function setUpLargeToggle() {
    var button = document.querySelector("[data-toggle-large]");
    if (!button) return;
    var root = document.documentElement;
    button.setAttribute("aria-pressed", root.classList.contains("large") ? "true" : "false");
    button.addEventListener("click", function () {
      var on = root.classList.toggle("large");
      button.setAttribute("aria-pressed", on ? "true" : "false");
      try { localStorage.setItem("lab-large", on ? "1" : "0"); } catch (e) { /* private mode */ }
    });
  }

  // Presenter mode: Large text without the site's chrome (static/css/presenter.css). Every [data-toggle-present]
  // (the header's button, the corner's "Exit presenter mode") switches it; leaving it keeps the Large text choice.
  function setUpPresentToggle() {
    var root = document.documentElement;
    var buttons = document.querySelectorAll("[data-toggle-present]");
    function show() {
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", root.classList.contains("present") ? "true" : "false"); });
    }
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var on = !root.classList.contains("present");
        var large = false;
        try {
          localStorage.setItem("lab-present", on ? "1" : "0");
          large = localStorage.getItem("lab-large") === "1";
        } catch (e) { /* private mode */ }
        root.classList.toggle("present", on);
        root.classList.toggle("large", on || large);
        show();
        var largeButton = document.querySelector("[data-toggle-large]");
        if (largeButton) largeButton.setAttribute("aria-pressed", root.classList.contains("large") ? "true" : "false");
        window.dispatchEvent(new Event("resize"));   // sticky bars measure their height again
      });
    });
    show();
  }

  // htmx swaps nothing when a request fails; say so instead of leaving the button looking dead.
  function showRequestError(message) {
    var box = document.getElementById("request-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "request-error";
      box.className = "callout warn";
      box.setAttribute("role", "alert");
      var main = document.getElementById("main");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = message;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    showRequestError(status >= 500
      ? "The lab hit an error (HTTP " + status + ") and changed nothing. Reload the page and try again."
      : "The lab refused that request (HTTP " + status + "), for example because it was too large or the page " +
        "is out of date. Nothing was changed; reload the page and try again.");
  });
  // Forms marked data-swap-refusals answer a refusal (400: the form with its errors, 429: "slow down") with
  // something to show: swap it in like a 200. htmx fires beforeSwap on the target, which may lie outside the form
  // (the console's log); the element that asked is requestConfig.elt.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var asked = event.detail.requestConfig && event.detail.requestConfig.elt;
    var status = event.detail.xhr.status;
    if (asked && asked.closest && asked.closest("[data-swap-refusals]") && (status === 400 || status === 429)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:sendError", function () {
    showRequestError("The lab server did not answer. Check that it is running, then reload the page.");
  });
  document.addEventListener("htmx:afterSwap", function () {
    var box = document.getElementById("request-error");
    if (box) box.remove();
  });

  // Single-key shortcuts for class demos, only on pages that list them (the step page's help panel). They stay
  // quiet while the learner types, with a modifier key held, and when switched off in the panel (WCAG 2.1.4).
  var SHORTCUTS = {
    r: "[data-run-step]",
    f: ".creds-card .fast-forward button[value='5m']",
    e: ".creds-card [data-ff-expiry]",
    n: ".step-nav a[rel=next]",
    p: ".step-nav a[rel=prev]",
    l: "[data-toggle-large]"
  };
  function shortcutsOn() {
    try { return localStorage.getItem("lab-shortcuts") !== "0"; } catch (e) { return true; }
  }
  function typingIn(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function setUpShortcuts() {
    var panel = document.querySelector("[data-shortcuts]");
    if (!panel) return;
    var toggle = panel.querySelector("[data-shortcuts-toggle]");
    if (toggle) {
      toggle.checked = shortcutsOn();
      toggle.addEventListener("change", function () {
        try { localStorage.setItem("lab-shortcuts", toggle.checked ? "1" : "0"); } catch (e) { /* private mode */ }
      });
    }
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
      if (typingIn(event.target) || !shortcutsOn()) return;
      if (event.key === "?") {
        event.preventDefault();
        panel.open = true;
        panel.querySelector("summary").focus();
        return;
      }
      var selector = SHORTCUTS[event.key];
      var target = selector && document.querySelector(selector);
      if (/^[1-9]$/.test(event.key)) {  // number keys: the What-if buttons, in page order
        target = document.querySelectorAll(".what-ifs [data-what-if]")[Number(event.key) - 1];
      }
      if (!target) return;
      event.preventDefault();
      target.click();
    });
  }

  // Secondary panels (policies, the editor, returned data, the HTTP exchange, the full evaluation) are <details>
  // whose open/closed state is remembered per kind of panel and per screen class, so it survives htmx swaps and
  // page loads. On a phone, panels marked data-phone-closed start closed: the story, the action and the result
  // come first.
  var PHONE = window.matchMedia ? window.matchMedia("(max-width: 700px)") : { matches: false };
  function keepOpen(root) {
    (root || document).querySelectorAll("details[data-keep-open]").forEach(function (panel) {
      var key = "lab-open:" + panel.dataset.keepOpen + (PHONE.matches ? ":phone" : ":wide");
      var saved = null;
      try { saved = localStorage.getItem(key); } catch (e) { /* private mode */ }
      if (panel.hasAttribute("data-force-open")) panel.open = true;       // e.g. the editor showing an error
      else if (saved !== null) panel.open = saved === "1";
      else if (PHONE.matches && panel.hasAttribute("data-phone-closed")) panel.open = false;
      if (panel.dataset.keepReady) return;
      panel.dataset.keepReady = "1";
      panel.addEventListener("toggle", function () {
        try { localStorage.setItem(key, panel.open ? "1" : "0"); } catch (e) { /* private mode */ }
      });
    });
  }

  // The compact header: on narrow screens the links fold behind one "Menu" button (CSS shows it); without
  // JavaScript the button stays hidden and the links stay visible.
  function setUpMenu() {
    var button = document.querySelector("[data-menu-toggle]");
    var header = button && button.closest(".site-header");
    if (!header) return;
    button.hidden = false;
    header.classList.add("has-menu");
    button.addEventListener("click", function () {
      var open = header.classList.toggle("menu-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("menu-open")) {
        header.classList.remove("menu-open");
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    scan(document); keepOpen(document); setUpLargeToggle(); setUpPresentToggle(); setUpShortcuts(); setUpMenu();
  });
  document.addEventListener("htmx:afterSwap", function () { keepOpen(document); });
  document.addEventListener("htmx:afterSettle", function () { scan(document); });
  // Screen readers hear a short summary of what an htmx action did through one polite live region (base.html),
  // instead of every status element in the swapped fragment (or nothing, since freshly inserted regions are often
  // not read).
  function announce(message) {
    var region = document.getElementById("lab-announcer");
    if (!region || !message) return;
    region.textContent = "";
    setTimeout(function () { region.textContent = message.replace(/\s+/g, " ").trim(); }, 150);
  }
  function text(el) { return el ? el.textContent.replace(/\s+/g, " ").trim() : ""; }
  function resultSummary(result) {
    var headline = result.querySelector(".result-headline strong");
    var parts = [headline ? "Ran: " + text(headline) : ""];
    result.querySelectorAll(".call").forEach(function (call) {
      parts.push(text(call.querySelector("h3")) + ": " + text(call.querySelector(".outcome .badge")));
    });
    return parts.filter(Boolean).join(". ");
  }
  function cardSummary(card) {
    var title = text(card.querySelector("h3"));
    if (card.classList.contains("expired")) return title + ": expired.";
    var left = text(card.querySelector("[data-countdown-text]"));
    return left ? title + ": expires in " + left + "." : title + ".";
  }

  // What started the workspace request: the trust editor, a fast-forward button (which card, which amount) or a run.
  var lastTrigger = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.closest || !elt.closest("#workspace")) return;
    var submitter = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent &&
      event.detail.requestConfig.triggeringEvent.submitter;
    var pressed = submitter || document.activeElement;
    var card = elt.closest(".creds-card");
    lastTrigger = {
      kind: elt.closest("#editor") ? "editor" : elt.closest(".fast-forward") ? "clock" : "run",
      cardId: card ? card.id : null,
      value: pressed && pressed.value ? pressed.value : null
    };
  });
  // After an htmx action, keep keyboard users where the answer is, and say what happened.
  document.addEventListener("htmx:afterSettle", function (event) {
    var result = document.getElementById("result");
    if (!result || !event.target || event.target.id !== "workspace") return;
    var trigger = lastTrigger || { kind: "run" };
    lastTrigger = null;
    if (trigger.kind === "editor") {
      // The textarea was replaced by the swap; put the learner back in it. Its aria-describedby names the error.
      var area = document.getElementById("trust-document");
      if (area) area.focus({ preventScroll: false });
      var error = document.getElementById("trust-error");
      var saved = document.querySelector("#editor .form-ok");
      // An error is role="alert" and the textarea's description already; only a save needs saying.
      if (!error) announce((saved ? text(saved) + " " : "") + resultSummary(result));
    } else if (trigger.kind === "clock") {
      var card = trigger.cardId && document.getElementById(trigger.cardId);
      var target = null;
      if (card && card.classList.contains("expired")) target = card.querySelector("[data-prove-expired]");
      if (!target && card && trigger.value && window.CSS && CSS.escape) {
        target = card.querySelector('.fast-forward button[value="' + CSS.escape(trigger.value) + '"]');
      }
      (target || result).focus({ preventScroll: false });
      var clock = document.querySelector("[data-sandbox-clock]");
      announce("Sandbox clock moved forward" + (clock ? " to " + text(clock) : "") + ". " +
        (card ? cardSummary(card) : ""));
    } else {
      result.focus({ preventScroll: false });
      announce(resultSummary(result));
    }
  });

  // The Content-Security-Policy forbids inline handlers and style attributes, so these two are done here:
  // <form data-confirm="question"> asks before submitting, and <span data-bar-percent="N"> is a bar N% wide
  // (data-bar-height: N% high)
  // (styles set through the DOM are allowed; `style="..."` in the markup is not).
  // (the button that submitted may carry its own question: one form, many rows, e.g. the class roster's Remove)
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) ||
      (event.target && event.target.getAttribute && event.target.getAttribute("data-confirm"));
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);
  function sizeBars(root) {
    var scope = root && root.querySelectorAll ? root : document;
    [["data-bar-percent", "width"], ["data-bar-height", "height"]].forEach(function (pair) {
      var bars = scope.querySelectorAll("[" + pair[0] + "]");
      for (var i = 0; i < bars.length; i++) {
        var percent = Math.max(0, Math.min(100, parseFloat(bars[i].getAttribute(pair[0])) || 0));
        bars[i].style[pair[1]] = percent + "%";
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { sizeBars(document); });
  document.addEventListener("htmx:load", function (event) { sizeBars(event.target); });
})();
