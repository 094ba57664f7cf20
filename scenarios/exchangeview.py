"""One HTTP exchange of a step's call (sandboxes.results.ExchangeRecord) as the result panel shows it.

Joined here rather than in templates/scenarios/_http_exchange.html's loops (one line per header, two exchanges a
call for some steps): the markup, byte for byte, is what that template rendered (whitespace inside <pre> shows).
Every value is escaped: headers and bodies are what went over the wire, secrets already masked.
"""
from __future__ import annotations

from typing import Any

from django.utils.safestring import SafeString, mark_safe

from .highlight import escaped as _escaped


def _header_lines(headers: dict[str, Any]) -> str:
    return "".join(f'<span class="h-name">{_escaped(name)}</span>: {_escaped(value)}\n'
                   for name, value in headers.items())


def _clock_note(fast_forwarded: str) -> str:
    if fast_forwarded:
        sandbox = (f"Your sandbox clock is {_escaped(fast_forwarded)} ahead\n      because you "
                   "fast-forwarded it; expiry is judged on the sandbox clock, so <code>Expiration</code> and “ran "
                   "at” are\n      ahead of this header by that much.")
    else:
        sandbox = ("The sandbox clock, which decides when credentials expire, runs with real\n      time until you "
                   "fast-forward it.")
    return ('<p class="clock-note" data-amz-date-note><strong>Why X-Amz-Date is not the sandbox clock:</strong>\n'
            "      it is the real time of the computer that signed the request, and AWS refuses a signature more than "
            "15 minutes away\n      from its own clock (Signature Version 4). " + sandbox + "</p>")


def exchange_html(exchange: Any, fast_forwarded: str = "") -> SafeString:
    """The request (line, headers, body), the note on X-Amz-Date when the request was signed with it, the response.
    fast_forwarded: how far the learner moved the sandbox clock ("1 h 2 min", "" when not), which the note explains."""
    operation = f" — {_escaped(exchange.operation)}" if exchange.operation else ""
    status = _escaped(exchange.status)
    status_class = _escaped(str(exchange.status)[:1])   # sliced before escaping, as the template's |slice did
    note = _clock_note(fast_forwarded) if exchange.headers.get("X-Amz-Date") else ""
    return mark_safe(
        '<details class="exchange" data-keep-open="exchange">\n'
        f'  <summary>HTTP request and response{operation} <span class="status status-{status_class}xx">{status}</span>'
        '</summary>\n  <div class="exchange-body">\n    <h4>Request</h4>\n'
        f'    <pre class="code small http"><span class="http-line">{_escaped(exchange.method)} '
        f'{_escaped(exchange.url)}</span>\n{_header_lines(exchange.headers)}\n{_escaped(exchange.body)}</pre>\n'
        f"    {note}\n    <h4>Response</h4>\n"
        f'    <pre class="code small http"><span class="http-line">HTTP/1.1 {status}</span>\n'
        f"{_header_lines(exchange.response_headers)}\n{_escaped(exchange.response_body)}</pre>\n"
        "  </div>\n</details>\n")
