"""Legacy user linking (DESIGN §2.2): install ids registered with app credentials, linked to an
external id server-to-server, confirmed by the SDK; and linking an unlinked user later."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from userlink.api_keys.service import ApiKeyCaller
from userlink.apps.errors import LegacyRegistrationDisabled
from userlink.apps.service import App
from userlink.audit.rules import AuditEvent
from userlink.auth_codes import rules as code_rules
from userlink.auth_codes import service as auth_codes
from userlink.auth_codes.errors import ExternalIdBlocked, InvalidExternalId
from userlink.installs import rules as install_rules
from userlink.installs import service as installs
from userlink.installs.errors import (
    InstallDeleted,
    InstallDisabled,
    InstallDoesNotBelongToApp,
    InstallNotFound,
)
from userlink.installs.rules import LinkStep
from userlink.installs.service import DeviceFacts, Install
from userlink.payloads import service as payloads
from userlink.sdk_credentials import service as credentials
from userlink.sdk_credentials.service import Credentials, SdkCaller
from userlink.unit_of_work import UnitOfWork
from userlink.usecases.errors import (
    CannotLinkExistingPersonToOtherPerson,
    ExternalIdAlreadyLinked,
    InstallLinkedToOtherUser,
    InstallNotLinked,
    UserAlreadyLinked,
    UserlinkingNotConfigured,
)
from userlink.users import service as users
from userlink.users.service import User


@dataclass(frozen=True)
class Registration:
    user: User
    install: Install
    credentials: Credentials


def register_install(
    work: UnitOfWork, app: App, *, installation_nonce: str, device: DeviceFacts
) -> Registration:
    """Legacy SDK init: a new install with a provisional user, before the app's linker runs."""
    if not app.legacy_registration_enabled:
        raise LegacyRegistrationDisabled()
    user = users.create_provisional(work, app.id)
    registered = installs.register(
        work,
        app_id=app.id,
        user_id=user.id,
        installation_nonce=installation_nonce,
        device=device,
        registered_via=install_rules.VIA_LEGACY,
    )
    install = registered.install
    work.audit.record(
        AuditEvent.USER_CREATED,
        app_id=app.id,
        user_id=user.id,
        install_id=install.id,
        provisional=True,
        previous_user_id=None,
        **registered.active.details(),
    )
    return Registration(user, install, credentials.issue(work, install.id))


def link_install(
    work: UnitOfWork, caller: ApiKeyCaller, install_id: uuid.UUID | None, raw_external_id: str
) -> uuid.UUID:
    """`POST /v2/users/{install_id}/link`: the id of the user the install belongs to now."""
    external_id = code_rules.normalise_external_id(raw_external_id)
    if external_id is None:
        raise InvalidExternalId()
    app = caller.app
    if app.refuses_external_id(external_id):
        raise ExternalIdBlocked.of(external_id)
    if not app.linking_enabled:
        raise UserlinkingNotConfigured()
    found = installs.find(work, install_id) if install_id is not None else None
    if found is None:
        raise InstallNotFound()
    if found.app_id != app.id:
        raise InstallDoesNotBelongToApp()
    user = users.lock(work, found.user_id)
    # Read again under the user's lock: a reset or a move in between must not be linked over.
    install = installs.find(work, found.id)
    if user is None or install is None or install.user_id != user.id:
        raise InstallNotFound()
    step = install_rules.link_step(install.status, user.external_id, external_id)
    if step is LinkStep.INSTALL_DISABLED:
        raise InstallDisabled()
    if step is LinkStep.INSTALL_DELETED:
        raise InstallDeleted()
    if step is LinkStep.ALREADY_LINKED:
        return user.id
    if step is LinkStep.LINKED_TO_OTHER_USER:
        raise InstallLinkedToOtherUser()
    if users.set_external_id(work, user.id, external_id):
        work.audit.record(
            AuditEvent.USER_LINKED,
            app_id=app.id,
            actor=caller.actor,
            user_id=user.id,
            install_id=install.id,
            **_linked_in_place(user.id),
        )
        return user.id
    # The external id has a user already (perhaps created a moment ago by a concurrent link).
    if not install_rules.may_join_existing_user(user.established_at is not None):
        raise CannotLinkExistingPersonToOtherPerson()
    target, restored = users.get_or_create_linked(work, app.id, external_id)
    if restored:
        # Joining an existing user is a restore on another install: the same velocity limit as
        # a redemption's. Nothing is written yet but the refusal's record.
        retry_after = users.count_restore(work, target)
        if retry_after is not None:
            raise users.refuse_restore(
                work, target, retry_after=retry_after, via="link", actor=caller.actor
            )
    _join(work, install, provisional=user, target=target, actor=caller.actor)
    return target.id


def _join(
    work: UnitOfWork, install: Install, *, provisional: User, target: User, actor: str
) -> None:
    """The install leaves its provisional user for the existing one; the provisional user goes."""
    installs.move_to_user(work, install, target.id)
    payloads.move_install(work, install.id, target.id)
    discarded = not installs.installs_of(work, provisional.id)
    if discarded:
        users.delete(work, provisional.id)
    change = installs.apply_active_rule(work, app_id=target.app_id, user_id=target.id)
    work.audit.record(
        AuditEvent.INSTALL_JOINED_USER,
        app_id=target.app_id,
        actor=actor,
        user_id=target.id,
        install_id=install.id,
        discarded_user_id=str(provisional.id),
    )
    # The ledger's record of the link (what an undo reverses): the install's previous and new
    # user, and the new user's active install before and after.
    work.audit.record(
        AuditEvent.USER_LINKED,
        app_id=target.app_id,
        actor=actor,
        user_id=target.id,
        install_id=install.id,
        joined=True,
        previous_user_id=str(provisional.id),
        previous_user_discarded=discarded,
        **change.details(),
    )


def _linked_in_place(user_id: uuid.UUID) -> dict[str, object]:
    """A link that gave the install's own user its external id: the install's user is
    unchanged, and so is the user's active install."""
    return {"joined": False, "previous_user_id": str(user_id)}


def confirm(work: UnitOfWork, caller: SdkCaller, *, keep_unlinked: bool) -> tuple[User, Install]:
    """The SDK asks after its linker reported success: is the install linked now?
    `keep_unlinked` (NO-OP linker) establishes the user unlinked instead."""
    user = users.lock(work, caller.user_id)
    if user is None:
        raise InstallNotLinked()
    if not user.is_linked and not keep_unlinked:
        raise InstallNotLinked()
    users.mark_established(work, user.id)
    return user, installs.get(work, caller.install_id)


def link_with_code(
    work: UnitOfWork, caller: SdkCaller, code: str, code_verifier: str | None = None
) -> tuple[User, Install]:
    """SDK `link_user(auth_code)`: only to an external id new to the platform."""
    user = users.lock(work, caller.user_id)
    if user is None or user.is_linked:
        raise UserAlreadyLinked()
    code_id, external_id = auth_codes.claim_for_link(
        work,
        code=code,
        app_id=caller.app_id,
        install_id=caller.install_id,
        code_verifier=code_verifier,
    )
    if not users.set_external_id(work, user.id, external_id):
        raise ExternalIdAlreadyLinked()
    users.mark_established(work, user.id)
    auth_codes.record_outcome(
        work, code_id, user_id=user.id, install_id=caller.install_id, restored=False
    )
    work.audit.record(
        AuditEvent.USER_LINKED,
        app_id=caller.app_id,
        actor=caller.actor,
        user_id=user.id,
        install_id=caller.install_id,
        code_id=str(code_id),
        **_linked_in_place(user.id),
    )
    linked = users.lock(work, user.id)
    assert linked is not None
    return linked, installs.get(work, caller.install_id)
