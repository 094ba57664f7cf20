// The class bar in a student's (or the hosting instructor's) page: class events reach the student wherever they
// are on the page, and follow-me never drops unsaved work without asking. No dependencies besides htmx.
(function () {
  "use strict";

  // Unsaved edits: a field on the page (outside the class bar) whose value differs from what the server sent,
  // e.g. a trust policy being edited or a console command typed but not run.
  function hasUnsavedEdits() {
    var fields = document.querySelectorAll("main textarea, main input, main select");
    for (var i = 0; i < fields.length; i++) {
      var el = fields[i];
      if (el.closest("#class-bar") || el.disabled || el.type === "hidden" || el.type === "submit" || el.type === "button") continue;
      if (el.tagName === "SELECT") {
        for (var j = 0; j < el.options.length; j++) if (el.options[j].selected !== el.options[j].defaultSelected) return true;
      } else if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked !== el.defaultChecked) return true;
      } else if (el.value !== el.defaultValue) {
        return true;
      }
    }
    return false;
  }

  // The bar's poll says whether the page has unsaved edits: follow-me then shows a cue that asks, instead of moving.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.id === "class-bar" && event.detail.verb === "get" && hasUnsavedEdits()) {
      event.detail.parameters.dirty = "on";
    }
  });

  function store() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }
  function hiddenKeys() {
    var s = store();
    try { return JSON.parse((s && s.getItem("class-cue-hidden")) || "[]"); } catch (e) { return []; }
  }
  function setHidden(key, hidden) {
    var keys = hiddenKeys().filter(function (k) { return k !== key; });
    if (hidden) keys.push(key);
    var s = store();
    if (s) s.setItem("class-cue-hidden", JSON.stringify(keys.slice(-20)));
  }

  // Say a new event once (WCAG 4.1.3: status messages reach screen readers without moving focus), through the
  // page's one polite live region; the floating cue itself is seen at any scroll position.
  function announce(cue) {
    var key = cue.getAttribute("data-class-cue");
    var s = store();
    if (s && s.getItem("class-cue-announced") === key) return;
    if (s) s.setItem("class-cue-announced", key);
    var region = document.getElementById("lab-announcer");
    var title = cue.querySelector(".class-cue-title");
    if (!region || !title) return;
    region.textContent = "";
    setTimeout(function () { region.textContent = "Class: " + title.textContent.replace(/\s+/g, " ").trim(); }, 150);
  }

  function setUpBar() {
    var bar = document.getElementById("class-bar");
    if (!bar) return;
    document.documentElement.style.setProperty("--class-bar-height",
      bar.classList.contains("host") ? bar.getBoundingClientRect().height + "px" : "0px");
    var cue = bar.querySelector("[data-class-cue]");
    var restore = bar.querySelector("[data-cue-restore]");
    if (!cue || cue.dataset.cueReady) return;
    cue.dataset.cueReady = "1";
    var key = cue.getAttribute("data-class-cue");
    function show(visible) {
      cue.hidden = !visible;
      if (restore) restore.hidden = visible;
    }
    show(hiddenKeys().indexOf(key) < 0);
    if (!cue.hidden) announce(cue);
    var hide = cue.querySelector("[data-cue-hide]");
    if (hide) hide.addEventListener("click", function () {
      setHidden(key, true);
      show(false);
      if (restore) restore.focus();
    });
    if (restore) restore.addEventListener("click", function () {
      setHidden(key, false);
      show(true);
      var first = cue.querySelector("button:not([data-cue-hide]), a");
      if (first) first.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", setUpBar);
  document.addEventListener("htmx:afterSettle", function (event) {
    setUpBar();   // the bar is swapped whole when it changes
    // A Run answered: a refusal the bar showed ("Run the step first") is out of date.
    if (event.target && event.target.id === "workspace") {
      document.querySelectorAll("#class-bar .class-bar-error").forEach(function (el) { el.remove(); });
    }
  });
  window.addEventListener("resize", setUpBar);
})();
