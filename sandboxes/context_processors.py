from __future__ import annotations

from django.http import HttpRequest


def lab(request: HttpRequest) -> dict:
    return {"lab_region": "us-east-1"}
