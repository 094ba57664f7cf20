"""Settings per environment: base (shared), dev, test, production. Everything configurable comes from the environment."""
