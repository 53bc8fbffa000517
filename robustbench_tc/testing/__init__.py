"""Helpers shipped for tests, benchmarks and GPU checks (not used by the apps at run time)."""
