"""Redeem an authentication code (DESIGN §2.1): create the user or restore it on a new install.

The path of one redemption, in statements: claim the code (one UPDATE … RETURNING), read its
app, upsert the user of its external id (which locks it; a restore is counted against the
velocity limit per external id, in the rate limiter), read the user's live installs (a restore
only: a user the upsert just created has none), write
any role change, insert the install, record the code's outcome, insert the credentials, and
write the transaction's identity events in one INSERT."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from userlink.apps import service as apps
from userlink.audit.rules import AuditEvent
from userlink.auth_codes import rules as code_rules
from userlink.auth_codes import service as auth_codes
from userlink.auth_codes.errors import AuthCodeAppMismatch
from userlink.installs import service as installs
from userlink.installs.errors import InstallDeregistered
from userlink.installs.rules import LIVE, VIA_CODE
from userlink.installs.service import DeviceFacts, Install
from userlink.sdk_credentials import service as credentials
from userlink.sdk_credentials.service import Credentials
from userlink.unit_of_work import UnitOfWork
from userlink.users import service as users


@dataclass(frozen=True)
class Redemption:
    user_id: uuid.UUID
    install: Install
    restored: bool
    credentials: Credentials
    is_remote_enabled: bool


def redeem(
    work: UnitOfWork,
    *,
    code: str,
    installation_nonce: str,
    app_id: uuid.UUID | None,
    device: DeviceFacts,
    code_verifier: str | None = None,
) -> Redemption:
    nonce_hash = work.hasher.hash(installation_nonce)
    claimed = auth_codes.claim(work, code, nonce_hash)
    if claimed is None:
        return _redeem_unclaimable(work, code, nonce_hash, app_id, code_verifier)
    # Refusals below roll the claim back with the unit of work: the code stays usable.
    if app_id is not None and claimed["app_id"] != app_id:
        raise AuthCodeAppMismatch()
    # Except this one, which keeps the claim: a code bound to another device is burned.
    auth_codes.check_verifier(
        work,
        code_id=claimed["id"],
        app_id=claimed["app_id"],
        challenge=claimed["code_challenge"],
        verifier=code_verifier,
    )
    app = apps.get_app_recent(work, claimed["app_id"])
    apps.ensure_enabled(app)
    user, restored = users.get_or_create_linked(work, app.id, claimed["external_id"])
    if restored:
        # Counted here, once the upsert said it is a restore and before any install is written:
        # a refusal then only has the claim to undo (docs/decisions.md).
        retry_after = users.count_restore(work, user)
        if retry_after is not None:
            # The code goes back to unredeemed: the device may retry once the window moves on.
            auth_codes.release(work, claimed["id"])
            raise users.refuse_restore(work, user, retry_after=retry_after, via="redemption")
    registered = installs.register(
        work,
        app_id=app.id,
        user_id=user.id,
        installation_nonce=installation_nonce,
        device=device,
        registered_via=VIA_CODE,
        user_is_new=not restored,
    )
    for replaced_id in registered.replaced:
        credentials.revoke(work, replaced_id)
    install = registered.install
    auth_codes.record_outcome(
        work, claimed["id"], user_id=user.id, install_id=install.id, restored=restored
    )
    issued = credentials.issue(work, install.id)
    work.audit.record(
        AuditEvent.CODE_REDEEMED,
        app_id=app.id,
        user_id=user.id,
        install_id=install.id,
        code_id=str(claimed["id"]),
    )
    # What the restore changed, for the ledger (and its undo): the install is new (it had no
    # user before), and the user's active install before and after.
    work.audit.record(
        AuditEvent.USER_RESTORED if restored else AuditEvent.USER_CREATED,
        app_id=app.id,
        user_id=user.id,
        install_id=install.id,
        code_id=str(claimed["id"]),
        previous_user_id=None,
        **registered.active.details(),
    )
    return Redemption(
        user_id=user.id,
        install=install,
        restored=restored,
        credentials=issued,
        is_remote_enabled=install.is_active,
    )


def _redeem_unclaimable(
    work: UnitOfWork,
    code: str,
    nonce_hash: str,
    app_id: uuid.UUID | None,
    code_verifier: str | None,
) -> Redemption:
    """The code could not be claimed: unknown, expired, a retry of a lost answer, or a replay."""
    row, outcome = auth_codes.explain_unclaimable(work, code, nonce_hash, app_id)
    retry = outcome is code_rules.RedemptionOutcome.RETRY
    if retry and row["install_id"]:
        # A retry proves the device as the first redemption did.
        auth_codes.check_verifier(
            work,
            code_id=row["id"],
            app_id=row["app_id"],
            challenge=row["code_challenge"],
            verifier=code_verifier,
            install_id=row["install_id"],
        )
    # Locked: simultaneous retries of one lost answer replace the credentials one after another,
    # leaving one live pair.
    install = installs.lock(work, row["install_id"]) if retry and row["install_id"] else None
    if install is not None and install.status == LIVE:
        # The first answer was lost: same user and install, fresh credentials, older ones revoked.
        issued = credentials.replace(work, install.id)
        work.audit.record(
            AuditEvent.CODE_REDEMPTION_RETRIED,
            app_id=row["app_id"],
            user_id=install.user_id,
            install_id=install.id,
        )
        return Redemption(
            user_id=install.user_id,
            install=install,
            restored=bool(row["restored"]),
            credentials=issued,
            is_remote_enabled=install.is_active,
        )
    if install is not None:
        raise InstallDeregistered()
    raise auth_codes.refuse_replay(
        work, row, same_device=row["redemption_nonce_hash"] == nonce_hash
    )
