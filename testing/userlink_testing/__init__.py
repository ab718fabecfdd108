"""Test support shared by server/tests, tests/e2e and bench: live servers, backends, factories."""
