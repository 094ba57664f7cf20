"""Integration tests use the gateway suite's fixtures (a Lab with its app, served over HTTP too)."""
from tests.gateway.conftest import http_endpoint, lab_app, local, sbx  # noqa: F401
