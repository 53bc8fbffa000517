"""Test-only helpers shared across the test packages."""
