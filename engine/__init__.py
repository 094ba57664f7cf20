"""The STS engine: pure Python (no Django). See docs/architecture.md."""
