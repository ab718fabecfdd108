"""Dashboard login sessions: a random token in an HttpOnly cookie, its keyed hash stored, idle and
absolute limits, the second factor's mark, revocation one by one or everywhere."""
