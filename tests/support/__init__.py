"""Helpers shared by the tests, imported as `support.<module>` (never from a conftest)."""
