// Apply the large-text and presenter-mode choices before the first paint (projector mode). Loaded without `defer`
// from <head>; a file rather than an inline script, so the Content-Security-Policy needs no 'unsafe-inline' (and
// error pages, rendered without a request, need no nonce). Presenter mode is Large text without the site's chrome.
(function () {
  var root = document.documentElement;
  try {
    if (localStorage.getItem("lab-large") === "1") root.classList.add("large");
    if (localStorage.getItem("lab-present") === "1") root.classList.add("present", "large");
  } catch (e) { /* storage blocked: the defaults */ }
})();
