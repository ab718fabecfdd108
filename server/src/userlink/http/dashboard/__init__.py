"""The dashboard: server-rendered pages under /dashboard/ (docs/dashboard.md)."""
