/* The lab's "virtual phone": an authenticator app on the page for learners without one.
   Computes the same RFC 6238 code as engine/mfa.py (HMAC-SHA1, 30 s steps, 6 digits) from the device's seed,
   with the sandbox's time (real time moved by the sandbox clock), using the browser's Web Crypto. Without Web Crypto the server-rendered code
   stays and only the seconds count down. */
(function () {
  "use strict";
  if (window.labVirtualPhone) { return; }
  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  var keys = {};

  function base32(text) {
    var bits = 0, value = 0, out = [];
    text = text.replace(/=+$/, "").toUpperCase();
    for (var i = 0; i < text.length; i++) {
      var index = ALPHABET.indexOf(text[i]);
      if (index < 0) { continue; }
      value = (value << 5) | index; bits += 5;
      if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
    }
    return new Uint8Array(out);
  }

  function key(seed) {
    if (!keys[seed]) {
      keys[seed] = window.crypto.subtle.importKey("raw", base32(seed), { name: "HMAC", hash: "SHA-1" }, false,
                                                  ["sign"]);
    }
    return keys[seed];
  }

  function code(seed, step) {
    var message = new ArrayBuffer(8), view = new DataView(message);
    view.setUint32(0, Math.floor(step / 4294967296));
    view.setUint32(4, step >>> 0);
    return key(seed).then(function (k) { return window.crypto.subtle.sign("HMAC", k, message); }).then(function (mac) {
      var b = new Uint8Array(mac), offset = b[b.length - 1] & 15;
      var binary = ((b[offset] & 127) << 24) | (b[offset + 1] << 16) | (b[offset + 2] << 8) | b[offset + 3];
      var digits = String(binary % 1000000);
      while (digits.length < 6) { digits = "0" + digits; }
      return digits.slice(0, 3) + " " + digits.slice(3);
    });
  }

  // The sandbox's phones go by the sandbox clock (engine Lab.mfa_clock): real time plus the offset the step page's
  // clock shows ([data-sandbox-clock] data-now, the sandbox time when the page was rendered). "Next code" moves it.
  var clockSeen = null, offset = 0;
  function sandboxOffset() {
    var clock = document.querySelector("[data-sandbox-clock][data-now]");
    if (!clock) { return 0; }
    if (clock.dataset.now !== clockSeen) {
      clockSeen = clock.dataset.now;
      var rendered = parseFloat(clock.dataset.now);
      offset = isNaN(rendered) ? 0 : rendered - Date.now() / 1000;
    }
    return offset;
  }

  function tick() {
    var now = Date.now() / 1000 + sandboxOffset(), step = Math.floor(now / 30), left = 30 - Math.floor(now % 30);
    document.querySelectorAll("[data-virtual-phone]").forEach(function (phone) {
      var seconds = phone.querySelector("[data-phone-seconds]");
      if (seconds) { seconds.textContent = String(left); }
      var bar = phone.querySelector("[data-phone-bar]");
      if (bar) { bar.value = left; }
      if (!(window.crypto && window.crypto.subtle) || String(step) === phone.dataset.shownStep) { return; }
      phone.dataset.shownStep = String(step);
      code(phone.dataset.seed, step).then(function (text) {
        var target = phone.querySelector("[data-phone-code]");
        if (target) { target.textContent = text; }
      }).catch(function () { /* keep the server-rendered code */ });
    });
  }

  window.labVirtualPhone = { tick: tick };
  tick();
  window.setInterval(tick, 1000);
})();
