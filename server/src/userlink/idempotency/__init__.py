"""Idempotency keys of server-to-server writes (Stripe's semantics): one execution per key and
app within a day, the same answer replayed after it."""
