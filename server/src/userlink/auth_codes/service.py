"""Authentication codes: issued to a customer backend for its user, claimed once by a device."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import RowMapping

from userlink.api_keys.service import ApiKeyCaller
from userlink.apps.rules import PkcePolicy
from userlink.audit.rules import AuditEvent
from userlink.auth_codes import rules
from userlink.auth_codes.errors import (
    AuthCodeAlreadyUsed,
    AuthCodeAppMismatch,
    AuthCodeExpired,
    AuthCodeInvalid,
    AuthCodeVerifierMismatch,
    CodeChallengeMethodUnsupported,
    CodeChallengeNotEnabled,
    CodeChallengeRequired,
    ExternalIdBlocked,
    InvalidCodeChallenge,
    InvalidExternalId,
)
from userlink.auth_codes.repository import AuthCodeRepository
from userlink.kit import periods, secrets
from userlink.kit.clock import as_utc
from userlink.kit.ids import new_id
from userlink.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: datetime


def issue(
    work: UnitOfWork,
    caller: ApiKeyCaller,
    raw_external_id: str,
    *,
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
) -> IssuedCode:
    """One INSERT (and the audit record with the transaction's others): the app's settings came
    with the API key's lookup."""
    external_id = rules.normalise_external_id(raw_external_id)
    if external_id is None:
        raise InvalidExternalId()
    if caller.app.refuses_external_id(external_id):
        raise ExternalIdBlocked.of(external_id)
    challenge = checked_challenge(caller.app.pkce_policy, code_challenge, code_challenge_method)
    now = work.clock.now()
    code = secrets.generate_auth_code()
    expires_at = rules.expiry(now, caller.app.code_lifetime_seconds)
    code_id = new_id()
    # Inserted when the unit of work ends, with its identity event: one statement on PostgreSQL.
    AuthCodeRepository(work.connection).insert_at_end(
        work.at_end,
        {
            "id": code_id,
            "app_id": caller.app_id,
            "code_hash": work.hasher.hash(code),
            "external_id": external_id,
            "created_at": now,
            "expires_at": expires_at,
            "code_challenge": challenge,
        },
    )
    work.audit.record(
        AuditEvent.CODE_ISSUED, app_id=caller.app_id, actor=caller.actor, code_id=str(code_id)
    )
    return IssuedCode(code=code, expires_at=expires_at)


def checked_challenge(policy: PkcePolicy, challenge: str | None, method: str | None) -> str | None:
    """The challenge a code is bound with under the app's PKCE policy, or the refusal: S256
    only (a method left out means `plain` in RFC 7636, refused too), a well-formed challenge,
    none under `off`, one under `required`."""
    if challenge is None and method is None:
        if policy is PkcePolicy.REQUIRED:
            raise CodeChallengeRequired()
        return None
    if method != rules.S256:
        raise CodeChallengeMethodUnsupported()
    if challenge is None or not rules.is_valid_challenge(challenge):
        raise InvalidCodeChallenge()
    if policy is PkcePolicy.OFF:
        raise CodeChallengeNotEnabled()
    return challenge


def check_verifier(
    work: UnitOfWork,
    *,
    code_id: uuid.UUID,
    app_id: uuid.UUID,
    challenge: str | None,
    verifier: str | None,
    install_id: uuid.UUID | None = None,
) -> None:
    """Refuse a redemption whose device cannot prove it made the code's challenge. The refusal
    keeps its record: the code stays claimed (burned, as after a replay) and the refusal is
    audited, so a stolen bound code is spent by the thief's first try."""
    outcome = rules.verifier_outcome(challenge, verifier)
    if outcome in (rules.VerifierOutcome.UNBOUND, rules.VerifierOutcome.PROVEN):
        return
    work.audit.record(
        AuditEvent.CODE_REPLAY_REFUSED,
        app_id=app_id,
        install_id=install_id,
        code_id=str(code_id),
        reason=f"verifier_{outcome.value}",
    )
    raise AuthCodeVerifierMismatch()


def claim(work: UnitOfWork, code: str, nonce_hash: str) -> RowMapping | None:
    """Mark the code redeemed by the device of `nonce_hash`: its row, or None when it is unknown,
    expired or redeemed already (`explain_unclaimable` tells which)."""
    return AuthCodeRepository(work.connection).claim(
        work.hasher.hash(code), nonce_hash, work.clock.now()
    )


def explain_unclaimable(
    work: UnitOfWork, code: str, nonce_hash: str, app_id: uuid.UUID | None
) -> tuple[RowMapping, rules.RedemptionOutcome]:
    """Why a code could not be claimed: unknown, expired or another app's codes are refused here;
    a redeemed one comes back with whether this is a retry of a lost answer or a replay."""
    row = AuthCodeRepository(work.connection).find(work.hasher.hash(code))
    stored = (
        rules.StoredCode(
            app_id=row["app_id"],
            expires_at=as_utc(row["expires_at"]),
            redeemed_at=as_utc(row["redeemed_at"]) if row["redeemed_at"] else None,
            redemption_nonce_hash=row["redemption_nonce_hash"],
        )
        if row is not None
        else None
    )
    outcome = rules.redemption_outcome(
        stored,
        presented_nonce_hash=nonce_hash,
        presented_app_id=app_id,
        now=work.clock.now(),
        retry_window_seconds=work.settings.redemption_retry_window_seconds,
    )
    if row is None or outcome is rules.RedemptionOutcome.UNKNOWN:
        raise AuthCodeInvalid()
    if outcome is rules.RedemptionOutcome.OTHER_APP:
        raise AuthCodeAppMismatch()
    if outcome in (rules.RedemptionOutcome.EXPIRED, rules.RedemptionOutcome.CLAIM):
        # CLAIM here means it expired between the claim and this read.
        raise AuthCodeExpired()
    return row, outcome


def refuse_replay(work: UnitOfWork, row: RowMapping, *, same_device: bool) -> AuthCodeAlreadyUsed:
    """Record a replay of a redeemed code (the record outlives the refusal)."""
    work.audit.record(
        AuditEvent.CODE_REPLAY_REFUSED,
        app_id=row["app_id"],
        user_id=row["user_id"],
        install_id=row["install_id"],
        code_id=str(row["id"]),
        same_device=same_device,
    )
    return AuthCodeAlreadyUsed()


def claim_for_link(
    work: UnitOfWork,
    *,
    code: str,
    app_id: uuid.UUID,
    install_id: uuid.UUID,
    code_verifier: str | None = None,
) -> tuple[uuid.UUID, str]:
    """Claim a code to link an existing unlinked user (SDK `link_user(auth_code)`): the code's id
    and external id. Refusals roll the claim back with the unit of work."""
    nonce_hash = work.hasher.hash(str(install_id))
    claimed = claim(work, code, nonce_hash)
    if claimed is None:
        row, _outcome = explain_unclaimable(work, code, nonce_hash, app_id)
        work.audit.record(
            AuditEvent.CODE_REPLAY_REFUSED,
            app_id=row["app_id"],
            install_id=install_id,
            code_id=str(row["id"]),
        )
        raise AuthCodeAlreadyUsed()
    if claimed["app_id"] != app_id:
        raise AuthCodeAppMismatch()
    check_verifier(
        work,
        code_id=claimed["id"],
        app_id=app_id,
        challenge=claimed["code_challenge"],
        verifier=code_verifier,
        install_id=install_id,
    )
    return claimed["id"], claimed["external_id"]


def release(work: UnitOfWork, code_id: uuid.UUID) -> None:
    """Undo a claim within its unit of work, for a refusal that keeps its record but not the
    redemption (the velocity limit): the code stays usable until it expires."""
    AuthCodeRepository(work.connection).release(code_id)


def record_outcome(
    work: UnitOfWork,
    code_id: uuid.UUID,
    *,
    user_id: uuid.UUID,
    install_id: uuid.UUID,
    restored: bool,
) -> None:
    # Nothing in the unit of work reads it back: written with its other writes at the end.
    AuthCodeRepository(work.connection).record_outcome_at_end(
        work.at_end, code_id, user_id=user_id, install_id=install_id, restored=restored
    )


def delete_pending_for(work: UnitOfWork, app_id: uuid.UUID, external_id: str) -> None:
    AuthCodeRepository(work.connection).delete_for_external_id(app_id, external_id)


@dataclass(frozen=True)
class CodesPerDay:
    """Counts per day, in the order of `days`."""

    days: list[date]
    issued: list[int]
    redeemed: list[int]
    expired: list[int]


def per_day(work: UnitOfWork, app_id: uuid.UUID, days: Sequence[date]) -> CodesPerDay:
    """The app's codes per UTC day: issued, redeemed, and expired unredeemed. Counted from the
    codes stored: those of an erased user went with it."""
    counted = AuthCodeRepository(work.connection).count_per_day(
        app_id, periods.boundaries(days), work.clock.now()
    )
    series = {name: [0] * len(days) for name in ("issued", "redeemed", "expired")}
    for name, rows in counted.items():
        for row in rows:
            series[name][int(row["day"])] = int(row["codes"])
    return CodesPerDay(
        days=list(days),
        issued=series["issued"],
        redeemed=series["redeemed"],
        expired=series["expired"],
    )
