"""Alembic migrations. Run with `userlink migrate`."""
