"""Tables, dialect-neutral (SQLite and PostgreSQL), with a naming convention for constraints."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, MetaData, String, Table, Uuid

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TZ = DateTime(timezone=True)
ID = Uuid(as_uuid=True)
SHA256_HEX = String(64)

# Your users. `id` is the stable user id this backend hands the platform as the external id.
accounts = Table(
    "accounts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("username", String(64), nullable=False),
    Column("username_key", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", TZ, nullable=False),
)

# Login sessions: only the SHA-256 of each bearer token is stored.
sessions = Table(
    "sessions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", SHA256_HEX, nullable=False, unique=True),
    Column("created_at", TZ, nullable=False),
    Column("expires_at", TZ, nullable=False),
)

# Attestation nonces: issued to one session, single use, short-lived.
attestation_nonces = Table(
    "attestation_nonces",
    metadata,
    Column("nonce_hash", SHA256_HEX, primary_key=True),
    Column(
        "session_id", ID, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("expires_at", TZ, nullable=False),
    Column("used_at", TZ, nullable=True),
)

# Webhooks received from the platform, by `webhook-id`: a message delivered twice acts once.
received_webhooks = Table(
    "received_webhooks",
    metadata,
    Column("message_id", String(64), primary_key=True),
    Column("type", String(64), nullable=False),
    Column("platform_user_id", String(36), nullable=True),
    Column("received_at", TZ, nullable=False),
)

# What to tell a user on their next visit: "you were signed in on another phone" (from the
# platform's `install.displaced`).
device_notices = Table(
    "device_notices",
    metadata,
    Column("message_id", String(64), primary_key=True),
    Column("platform_user_id", String(36), nullable=True, index=True),
    Column("displaced_install_id", String(36), nullable=True),
    Column("reason", String(64), nullable=True),
    Column("details", JSON, nullable=False),
    Column("created_at", TZ, nullable=False),
)
