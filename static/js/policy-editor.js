// The policy editor beside the console: line numbers that follow the text and its scrolling, the engine's error
// line marked and the caret put there, and a refused Apply (400) shown in the editor instead of the console log.
// No inline script (CSP); without JavaScript the form still posts and the page comes back with the result.
(function () {
  "use strict";

  function setup(form) {
    if (form.dataset.editorReady) return;
    form.dataset.editorReady = "1";
    var area = form.querySelector("[data-policy-editor]");
    var gutter = form.querySelector("[data-editor-lines]");
    var frame = form.querySelector(".editor-frame");
    if (!area || !gutter) return;
    var errorLine = frame && frame.dataset.errorLine ? parseInt(frame.dataset.errorLine, 10) : 0;

    function number() {
      var count = area.value.split("\n").length;
      var lines = [];
      for (var i = 1; i <= count; i++) lines.push(i === errorLine ? "▶" + i : String(i));
      gutter.textContent = lines.join("\n");
      gutter.scrollTop = area.scrollTop;
    }
    gutter.hidden = false;
    frame.classList.add("numbered");
    area.addEventListener("input", function () { errorLine = 0; number(); });
    area.addEventListener("scroll", function () { gutter.scrollTop = area.scrollTop; });
    number();
    if (errorLine) {   // put the caret where the engine found the mistake
      var lines = area.value.split("\n");
      var offset = 0;
      for (var i = 0; i < errorLine - 1 && i < lines.length; i++) offset += lines[i].length + 1;
      offset += Math.max(0, parseInt(frame.dataset.errorColumn || "1", 10) - 1);
      area.focus();
      area.setSelectionRange(offset, offset);
    }
    form.addEventListener("htmx:afterRequest", function (event) {
      var log = document.getElementById("console-log");
      if (event.detail.elt === form && log && event.detail.xhr.status === 200) log.scrollTop = log.scrollHeight;
    });
  }

  // A document the engine refused comes back as the editor itself (HX-Retarget, 400): lab.js swaps it in
  // (data-swap-refusals on the form).

  function init() { document.querySelectorAll("[data-policy-editor-form]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
  document.addEventListener("htmx:load", init);
})();
