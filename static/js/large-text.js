// Apply the large-text choice before the first paint (projector mode). Loaded without `defer` from <head>; a file
// rather than an inline script, so the Content-Security-Policy needs no 'unsafe-inline' (and error pages, rendered
// without a request, need no nonce).
if (localStorage.getItem("lab-large") === "1") document.documentElement.classList.add("large");
