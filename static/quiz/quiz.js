// Quiz behaviour that needs the browser: the exam countdown (submits the exam at zero; the server enforces the
// deadline as well) and moving focus to the new question after an htmx swap, for keyboard and screen-reader users.
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function format(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : pad(m) + ":" + pad(s);
  }

  function startTimer(box) {
    var deadline = parseInt(box.getAttribute("data-quiz-deadline"), 10) * 1000;
    var clock = box.querySelector("[data-quiz-clock]");
    var announce = box.querySelector("[data-quiz-announce]");
    var form = document.getElementById(box.getAttribute("data-quiz-timeout-form"));
    var said = {};
    if (!deadline || !clock) return;
    function tick() {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      clock.textContent = format(left);
      box.classList.toggle("is-low", left <= 60);
      [300, 60].forEach(function (mark) {
        if (left <= mark && left > mark - 5 && !said[mark]) {
          said[mark] = true;
          if (announce) announce.textContent = (mark / 60) + " minute" + (mark > 60 ? "s" : "") + " left";
        }
      });
      if (left <= 0) {
        clearInterval(timer);
        // Send the selection on screen with the time-out: the answer form carries go=timeout (saved, then
        // submitted); without one (e.g. a feedback page), the plain submit form.
        var answerForm = document.querySelector("#quiz-attempt form.quiz-answer-form");
        var target = answerForm || form;
        if (target && !target.dataset.sent) {
          target.dataset.sent = "1";
          if (answerForm) {
            var go = document.createElement("input");
            go.type = "hidden"; go.name = "go"; go.value = "timeout";
            answerForm.appendChild(go);
            answerForm.removeAttribute("hx-post");  // a full POST: the page goes to the results
          }
          target.submit();
        }
      }
    }
    var timer = setInterval(tick, 1000);
    tick();
  }

  // Live rooms: a per-question countdown. At zero it asks the panels to poll at once (the server reveals the
  // answer when the time is up, whoever asks first).
  function startLiveTimer(box) {
    if (box.dataset.liveStarted) return;
    box.dataset.liveStarted = "1";
    var deadline = parseInt(box.getAttribute("data-live-deadline"), 10) * 1000;
    var clock = box.querySelector("[data-live-clock]");
    var fired = false;
    function tick() {
      if (!box.isConnected) { clearInterval(timer); return; }
      var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      clock.textContent = left;
      box.classList.toggle("is-low", left <= 5);
      if (left <= 0 && !fired) {
        fired = true;
        clearInterval(timer);
        if (window.htmx) setTimeout(function () { htmx.trigger(document.body, "live-timeup"); }, 300);
      }
    }
    var timer = setInterval(tick, 250);
    tick();
  }

  function init() {
    document.querySelectorAll("[data-quiz-deadline]").forEach(startTimer);
    document.querySelectorAll("[data-live-deadline]").forEach(startLiveTimer);
  }
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail && event.detail.elt;
    if (root && root.querySelectorAll) root.querySelectorAll("[data-live-deadline]").forEach(startLiveTimer);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();

  // After htmx swaps in a new question or the feedback, put focus where reading should continue.
  document.addEventListener("htmx:afterSwap", function (event) {
    // A report was sent (or refused): keep focus in that report's panel, not on the question heading.
    var path = event.detail && event.detail.requestConfig && event.detail.requestConfig.path;
    var sent = path && /\/questions\/([a-z0-9-]+)\/report\/$/.exec(path);
    if (sent) {
      var panel = document.getElementById("quiz-report-" + sent[1]);
      var spot = panel && (panel.querySelector(".quiz-report-done") || panel.querySelector("[role=alert]") || panel.querySelector("summary"));
      if (spot) spot.focus({ preventScroll: false });
      return;
    }
    var root = event.detail && event.detail.target;
    if (!root || !root.isConnected) root = document.getElementById("quiz-attempt") || document.getElementById("live-player");
    if (!root || (root.id !== "quiz-attempt" && root.id !== "live-player")) return;
    var target = root.querySelector("[data-quiz-focus-feedback]") || root.querySelector("[data-quiz-focus]");
    if (target) target.focus({ preventScroll: false });
  });
})();
