"""Dashboard accounts: organisations, their members and roles, passwords, the TOTP second factor,
recovery codes and invitations."""
