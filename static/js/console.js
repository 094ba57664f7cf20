// The in-page AWS CLI console: command history (up/down keys and buttons, kept in this browser), the pasted-keys
// fields shown only when chosen, and the log kept scrolled to the newest command. No inline script (CSP).
(function () {
  "use strict";
  var KEY = "lab-console-history";
  var MAX = 100;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(list) {
    try { localStorage.setItem(KEY, JSON.stringify(list.slice(-MAX))); } catch (e) { /* private mode */ }
  }

  function setup(form) {
    if (form.dataset.consoleReady) return;
    form.dataset.consoleReady = "1";
    var input = form.querySelector("[data-console-input]");
    var pasted = form.querySelector("[data-console-pasted]");
    var log = document.getElementById("console-log");
    var history = load();
    var position = history.length;

    function showPasted() {
      var select = form.querySelector("[data-console-identity]");
      if (pasted && select) pasted.hidden = select.value !== "pasted";
    }
    function walk(step) {
      if (!history.length) return;
      position = Math.max(0, Math.min(history.length, position + step));
      input.value = position === history.length ? "aws " : history[position];
      input.setSelectionRange(input.value.length, input.value.length);
    }

    form.addEventListener("change", function (event) {
      if (event.target.matches("[data-console-identity]")) showPasted();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowUp") { event.preventDefault(); walk(-1); }
      else if (event.key === "ArrowDown") { event.preventDefault(); walk(1); }
    });
    form.querySelectorAll("[data-console-history]").forEach(function (button) {
      button.addEventListener("click", function () { walk(parseInt(button.dataset.consoleHistory, 10)); input.focus(); });
    });
    form.addEventListener("submit", function () {
      var command = input.value.trim();
      if (command && history[history.length - 1] !== command) { history.push(command); save(history); }
      position = history.length;
    });
    form.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.elt !== form) return;
      input.value = "aws ";
      input.focus();
      showPasted();
      if (log) log.scrollTop = log.scrollHeight;
    });
    // Its refusals (400, 429) are console entries: lab.js swaps them in (data-swap-refusals).
    document.body.addEventListener("htmx:oobAfterSwap", showPasted);
    showPasted();
  }

  function init() { document.querySelectorAll("[data-console-form]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
