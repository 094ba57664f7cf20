"""One module per scenario; each defines SCENARIO (see scenarios/README.md)."""
