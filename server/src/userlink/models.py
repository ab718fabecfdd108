"""Tables, dialect-neutral, with a naming convention so constraints have the same names everywhere.

The hot paths use SQLAlchemy Core statements against these tables (no ORM unit of work): see
docs/decisions.md, "Core on the hot paths".
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
    true,
)

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
EXTERNAL_ID = String(256)
HASH = String(64)
# SQLite only autoincrements an INTEGER PRIMARY KEY.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")

organisations = Table(
    "organisations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", TZ, nullable=False),
)

# People who use the dashboard. Emails are stored lowercased.
accounts = Table(
    "accounts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    # A password someone else chose (the first owner's, printed by `make run`): replaced at the
    # next login.
    Column("must_change_password", Boolean, nullable=False),
    # The people who run the platform: every organisation, installs, the audit of everything.
    Column("is_operator", Boolean, nullable=False),
    # The TOTP secret must be read back to check a code, so it is encrypted (kit/sealing.py)
    # rather than hashed; set while enrolling, confirmed by totp_enabled_at.
    Column("totp_secret_sealed", String(255), nullable=True),
    Column("totp_enabled_at", TZ, nullable=True),
    # The time step of the last code accepted: a code is good once (RFC 6238 §5.2).
    Column("totp_last_step", BigInteger, nullable=True),
    Column("created_at", TZ, nullable=False),
)

# owner | developer | viewer (accounts/rules.py)
memberships = Table(
    "memberships",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "organisation_id",
        ID,
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("role", String(16), nullable=False),
    Column("created_at", TZ, nullable=False),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("id", ID, primary_key=True),
    Column(
        "account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("code_hash", HASH, nullable=False, unique=True),
    Column("created_at", TZ, nullable=False),
    Column("used_at", TZ, nullable=True),
)

invitations = Table(
    "invitations",
    metadata,
    Column("id", ID, primary_key=True),
    Column(
        "organisation_id", ID, ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("email", String(320), nullable=False),
    Column("role", String(16), nullable=False),
    Column("token_hash", HASH, nullable=False, unique=True),
    Column("invited_by", ID, nullable=True),
    Column("created_at", TZ, nullable=False),
    Column("expires_at", TZ, nullable=False),
    Column("accepted_at", TZ, nullable=True),
    Column("revoked_at", TZ, nullable=True),
)

# Dashboard logins. The cookie holds a random token; only its keyed hash is stored.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("id", ID, primary_key=True),
    Column(
        "account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("token_hash", HASH, nullable=False, unique=True),
    Column("created_at", TZ, nullable=False),
    Column("last_seen_at", TZ, nullable=False),
    # The absolute limit; the idle limit counts from last_seen_at.
    Column("expires_at", TZ, nullable=False),
    # NULL until the second factor was given (or, for an account without one, at login).
    Column("second_factor_at", TZ, nullable=True),
    Column("revoked_at", TZ, nullable=True),
    Column("client_address", String(64), nullable=True),
    Column("user_agent", String(200), nullable=True),
)

apps = Table(
    "apps",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("secret_hash", HASH, nullable=False),
    # During a rotation's overlap the previous secret still opens legacy SDK inits.
    Column("previous_secret_hash", HASH, nullable=True),
    Column("previous_secret_expires_at", TZ, nullable=True),
    # NULL for apps made by the CLI without --org: only operators see them in the dashboard.
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=True, index=True),
    Column("code_lifetime_seconds", Integer, nullable=False),
    Column("linking_enabled", Boolean, nullable=False, default=True),
    Column("is_remote_enabled", Boolean, nullable=False, default=True),
    Column("created_at", TZ, nullable=False),
    # The app's own placeholder lists (apps/rules.py), as keys: trimmed and case-folded.
    Column("blocked_external_ids", JSON, nullable=False, server_default=text("'[]'")),
    Column("allowed_external_ids", JSON, nullable=False, server_default=text("'[]'")),
    # off | optional | required: whether codes are bound to the redeeming device (PKCE).
    Column("pkce_policy", String(16), nullable=False, server_default="optional"),
    # Off: legacy SDK inits (app id + secret) are refused; codes only (the migration report).
    Column("legacy_registration_enabled", Boolean, nullable=False, server_default=true()),
    # How long a restore or a link may be undone (usecases/undo.py).
    Column("undo_window_seconds", Integer, nullable=False, server_default=text("604800")),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", ID, primary_key=True),
    Column("app_id", ID, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", HASH, nullable=False, unique=True),
    # What people see in listings: the prefix and the last characters, never the secret part.
    Column("hint", String(24), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_at", TZ, nullable=False),
    Column("expires_at", TZ, nullable=False),
    Column("revoked_at", TZ, nullable=True),
    Column("last_used_at", TZ, nullable=True),
    # "account:<id>" for the dashboard, "cli" for the operator CLI.
    Column("created_by", String(80), nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("id", ID, primary_key=True),
    Column("app_id", ID, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    # NULL while a legacy user is not linked yet; NULLs never collide in the unique constraint.
    Column("external_id", EXTERNAL_ID, nullable=True),
    Column("created_at", TZ, nullable=False),
    Column("linked_at", TZ, nullable=True),
    # When the SDK finished initialising with this user. A legacy user that is not established
    # yet is provisional: linking its install to a known external id discards it.
    Column("established_at", TZ, nullable=True),
    UniqueConstraint("app_id", "external_id"),
)

installs = Table(
    "installs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("app_id", ID, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("installation_nonce_hash", HASH, nullable=False),
    Column("platform", String(16), nullable=False),
    Column("os_version", String(128), nullable=True),
    Column("model", String(128), nullable=True),
    Column("screen_diagonal_inches", Float, nullable=True),
    Column("ios_idiom", String(16), nullable=True),
    Column("device_class", String(8), nullable=False),
    Column("app_version", String(128), nullable=True),
    Column("sdk_version", String(128), nullable=True),
    Column("created_at", TZ, nullable=False),
    # live | reset | disabled
    Column("status", String(16), nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("inactive_reason", String(32), nullable=True),
    Column("ended_at", TZ, nullable=True),
    # code | legacy: the flow that registered the install (the migration report).
    Column("registered_via", String(8), nullable=True),
    # The last time another install of the user took the active role from this one: when, which
    # install, and why (newer_install | phone_over_tablet). Told to the SDK while it is inactive.
    Column("displaced_at", TZ, nullable=True),
    Column("displaced_by", ID, nullable=True),
    Column("displacement_reason", String(32), nullable=True),
    # The database, not process memory, guarantees one active install per user.
    Index(
        "uq_installs_one_active_per_user",
        "user_id",
        unique=True,
        sqlite_where=text("is_active"),
        postgresql_where=text("is_active"),
    ),
)

auth_codes = Table(
    "auth_codes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("app_id", ID, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("code_hash", HASH, nullable=False, unique=True),
    Column("external_id", EXTERNAL_ID, nullable=False),
    Column("created_at", TZ, nullable=False),
    Column("expires_at", TZ, nullable=False),
    Column("redeemed_at", TZ, nullable=True),
    Column("redemption_nonce_hash", HASH, nullable=True),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("install_id", ID, ForeignKey("installs.id", ondelete="CASCADE"), nullable=True),
    # What the first redemption answered, so that a retry answers the same.
    Column("restored", Boolean, nullable=True),
    # RFC 7636 S256 challenge (base64url of SHA-256 of the device's verifier), when bound.
    Column("code_challenge", String(64), nullable=True),
    Index("ix_auth_codes_app_id_external_id", "app_id", "external_id"),
)

# Idempotency-Key of a server-to-server write, per app, kept a day: the request it was first
# sent with (a hash) and the answer to replay (NULL while that request runs).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("app_id", ID, ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", HASH, nullable=False),
    Column("created_at", TZ, nullable=False),
    Column("expires_at", TZ, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response_body", Text, nullable=True),
    Index("ix_idempotency_keys_app_id_expires_at", "app_id", "expires_at"),
)

sdk_tokens = Table(
    "sdk_tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column(
        "install_id", ID, ForeignKey("installs.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    # access | refresh
    Column("kind", String(8), nullable=False),
    Column("token_hash", HASH, nullable=False, unique=True),
    Column("created_at", TZ, nullable=False),
    Column("expires_at", TZ, nullable=False),
    Column("revoked_at", TZ, nullable=True),
    # Set when a refresh replaced this token: a retry shortly after may use it once more.
    Column("rotated_at", TZ, nullable=True),
)

# Append-only. Holds ids, never external ids or secrets, so erasure of a user leaves no
# personal data behind here (docs/security.md).
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BIG_ID, primary_key=True, autoincrement=True),
    Column("occurred_at", TZ, nullable=False),
    Column("event", String(40), nullable=False),
    Column("app_id", ID, nullable=True, index=True),
    Column("actor", String(80), nullable=True),
    Column("user_id", ID, nullable=True),
    Column("install_id", ID, nullable=True),
    Column("request_ref", String(64), nullable=True),
    Column("details", JSON, nullable=False),
    # Set on an undo (`event.undone`): the event it reversed. Unique: an event is undone once.
    Column("undoes_event_id", BigInteger, nullable=True),
    # A user's identity events, newest first (the dashboard's user page).
    Index("ix_audit_events_user_id_id", "user_id", "id"),
    Index("uq_audit_events_undoes_event_id", "undoes_event_id", unique=True),
)

payloads = Table(
    "payloads",
    metadata,
    Column("id", BIG_ID, primary_key=True, autoincrement=True),
    Column("app_id", ID, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("install_id", ID, ForeignKey("installs.id", ondelete="CASCADE"), nullable=False),
    # Generated by the SDK; a retried batch carries the same ids and is not stored twice.
    Column("client_id", String(64), nullable=False),
    Column("type", String(64), nullable=False),
    Column("occurred_at", TZ, nullable=False),
    Column("received_at", TZ, nullable=False),
    Column("body", JSON, nullable=False),
    # False: sent by an inactive install; kept apart, never in the timeline.
    Column("processed", Boolean, nullable=False),
    # When a held payload (processed false) was merged into the timeline on request.
    Column("merged_at", TZ, nullable=True),
    UniqueConstraint("install_id", "client_id"),
    Index("ix_payloads_timeline", "user_id", "processed", "occurred_at", "id"),
)

# Webhook endpoints of an app (docs/events.md): where its identity events are delivered, signed.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("app_id", ID, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("url", String(2048), nullable=False),
    Column("description", String(200), nullable=False, server_default=text("''")),
    # The event types delivered; NULL: every type.
    Column("event_types", JSON, nullable=True),
    Column("enabled", Boolean, nullable=False),
    # Why the platform disabled it (a 410 from the receiver); NULL when enabled or disabled by hand.
    Column("disabled_reason", String(200), nullable=True),
    # The signing secret (`whsec_…`), sealed (kit/sealing.py): the platform must read it to sign.
    Column("secret_sealed", String(255), nullable=False),
    # During a rotation's overlap the previous secret signs too (two signatures in the header).
    Column("previous_secret_sealed", String(255), nullable=True),
    Column("previous_secret_expires_at", TZ, nullable=True),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
)

# The outbox: one message per event and endpoint, written in the event's transaction, delivered
# by a worker (webhooks/worker.py), kept after delivery or as a dead letter.
webhook_messages = Table(
    "webhook_messages",
    metadata,
    Column("id", BIG_ID, primary_key=True, autoincrement=True),
    # `webhook-id`: the same on every attempt, so receivers dedupe on it.
    Column("message_id", String(40), nullable=False, unique=True),
    Column(
        "endpoint_id",
        ID,
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("app_id", ID, nullable=False),
    Column("event_type", String(40), nullable=False),
    # The exact JSON body signed and sent, on every attempt.
    Column("body", String, nullable=False),
    # pending, delivered, dead
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    # When the next attempt is due; while an attempt runs, the end of its lease.
    Column("next_attempt_at", TZ, nullable=False),
    # The start of the retry window (creation, or the last redelivery): attempts stop 3 days on.
    Column("retry_from", TZ, nullable=False),
    Column("last_attempt_at", TZ, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("created_at", TZ, nullable=False),
    Column("finished_at", TZ, nullable=True),
    # The worker's claim: due pending messages, oldest due first.
    Index("ix_webhook_messages_due", "status", "next_attempt_at"),
    # An endpoint's messages, newest first.
    Index("ix_webhook_messages_endpoint_id_id", "endpoint_id", "id"),
)
