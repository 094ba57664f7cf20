"""Integration tests use the gateway suite's fixtures (a Lab with its app, served over HTTP too) and its kits."""
import sys
from pathlib import Path

# the gateway suite's kits are imported by their bare names (gateway_kit, fuzz_kit), as in tests/gateway
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gateway"))

from tests.gateway.conftest import http_endpoint, lab_app, local, sbx  # noqa: E402,F401
