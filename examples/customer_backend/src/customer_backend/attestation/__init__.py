"""Device attestation: nonces bound to a session, and pluggable verifiers of statements."""
