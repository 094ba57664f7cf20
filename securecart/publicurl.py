"""Absolute links other devices can open (join links, QR codes).

`make class` sets LAB_PUBLIC_URL to the address students' phones reach (e.g. http://192.168.1.20:8000): the
instructor may well be browsing http://127.0.0.1:8000 on the laptop itself, and a QR code made from that Host
header would send every phone to its own loopback address. Without the setting, the request's own host is used.
"""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def public_url(request: HttpRequest, path: str) -> str:
    base = getattr(settings, "LAB_PUBLIC_URL", "").rstrip("/")
    if base:
        return base + path
    return request.build_absolute_uri(path)
