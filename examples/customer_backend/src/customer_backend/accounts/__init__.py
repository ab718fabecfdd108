"""Your own users: sign-up, login, sessions. Replace with your existing user system."""
