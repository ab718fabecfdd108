"""Reports an app's owner reads to decide (the legacy-to-code migration report): read-only
queries over several tables, aggregated by pure rules."""
