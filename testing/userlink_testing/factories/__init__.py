"""Keyword-only factories with defaults, one module per domain."""
