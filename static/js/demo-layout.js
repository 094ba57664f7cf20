/* Step page helpers for the projector layout (static/css/demo-layout.css): keep the sticky actions panel's height
   in a CSS variable (results scroll in below it), and mark What-if buttons with their number key. */
(function () {
  "use strict";
  function keysOn() {
    try { return localStorage.getItem("lab-shortcuts") !== "0"; } catch (e) { return true; }
  }
  function update() {
    document.documentElement.classList.toggle("keys-on", keysOn());  // first: the key badges change the height
    var actions = document.querySelector(".workspace > .actions");
    if (actions) {
      document.documentElement.style.setProperty("--actions-height", actions.getBoundingClientRect().height + "px");
    }
    document.querySelectorAll(".what-ifs [data-what-if]").forEach(function (button, index) {
      if (index < 9 && keysOn()) button.setAttribute("aria-keyshortcuts", String(index + 1));
      else button.removeAttribute("aria-keyshortcuts");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    update();
    var toggle = document.querySelector("[data-shortcuts-toggle]");
    if (toggle) toggle.addEventListener("change", function () { setTimeout(update, 0); });
    window.addEventListener("resize", update);
    document.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest("[data-toggle-large]")) setTimeout(update, 0);
    });
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    update();
    // Large text: lab.js has just focused the result; a result taller than the screen would be scrolled past its
    // heading. Put its top right below the sticky actions panel instead, the What-ifs still in view above it.
    var result = document.getElementById("result");
    var actions = document.querySelector(".workspace > .actions");
    if (!document.documentElement.classList.contains("large") || !result || !actions) return;
    if (!event.target || event.target.id !== "workspace" || document.activeElement !== result) return;
    var gap = 12;
    var bar = document.querySelector("#class-bar.host");   // the host's class bar sticks above the actions
    var above = actions.getBoundingClientRect().height + (bar ? bar.getBoundingClientRect().height : 0);
    var top = result.getBoundingClientRect().top + window.scrollY - above - gap;
    window.scrollTo({ top: Math.max(0, top), behavior: "auto" });
  });
})();
