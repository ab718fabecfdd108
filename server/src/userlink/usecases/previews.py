"""Previews that write nothing (`POST /users/auth-code/preview`,
`POST /v2/users/{id}/link/preview`): what a code for an external id, or a link, would do, by
the same pure rules the real routes use (`installs/rules.py`).
No code is minted, nothing is counted, no event is recorded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from userlink.api_keys.service import ApiKeyCaller
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
from userlink.installs.rules import DeviceClass, InstallFacts, LinkStep
from userlink.installs.service import Install
from userlink.kit.ids import new_id
from userlink.unit_of_work import UnitOfWork
from userlink.usecases.errors import (
    CannotLinkExistingPersonToOtherPerson,
    InstallLinkedToOtherUser,
    UserlinkingNotConfigured,
)
from userlink.users import service as users
from userlink.users.errors import UserNotFound
from userlink.users.service import User


class CodeOutcome(StrEnum):
    CREATE = "create"  # no user has this external id: redeeming creates one
    RESTORE = "restore"  # the external id's user comes back on the redeeming device


@dataclass(frozen=True)
class CodePreview:
    outcome: CodeOutcome
    user: User | None
    installs: list[Install]  # the user's live installs, as they are now
    on_phone: install_rules.Arrival
    on_tablet: install_rules.Arrival


def preview_code(
    work: UnitOfWork,
    caller: ApiKeyCaller,
    raw_external_id: str,
    *,
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
) -> CodePreview:
    """What a code for this external id would do if a phone or a tablet redeemed it now. The
    request is checked as minting checks it (the same refusals)."""
    external_id = _checked_external_id(caller, raw_external_id)
    auth_codes.checked_challenge(caller.app.pkce_policy, code_challenge, code_challenge_method)
    user = _user_of(work, caller.app_id, external_id)
    live = _live_installs(work, user)
    facts = [_facts(install) for install in live]
    now = work.clock.now()
    newcomer_id = new_id()
    return CodePreview(
        outcome=CodeOutcome.RESTORE if user is not None else CodeOutcome.CREATE,
        user=user,
        installs=live,
        on_phone=install_rules.arrival(
            facts, InstallFacts(id=newcomer_id, device_class=DeviceClass.PHONE, created_at=now)
        ),
        on_tablet=install_rules.arrival(
            facts, InstallFacts(id=newcomer_id, device_class=DeviceClass.TABLET, created_at=now)
        ),
    )


class LinkOutcome(StrEnum):
    ALREADY_LINKED = "already_linked"  # to this external id: the same answer again
    LINK = "link"  # the install's own user becomes this external id's
    JOIN = "join"  # the external id has a user: the install joins it, its own user goes


@dataclass(frozen=True)
class LinkPreview:
    outcome: LinkOutcome
    user_id: uuid.UUID  # the user the install would belong to
    installs: list[Install]  # that user's live installs, as they are now
    install: install_rules.Arrival  # what the install would be among them


def preview_link(
    work: UnitOfWork, caller: ApiKeyCaller, install_id: uuid.UUID | None, raw_external_id: str
) -> LinkPreview:
    """What `POST /v2/users/{install_id}/link` would do now, with its refusals (the velocity
    limit aside: a preview is not counted, and does not read the count)."""
    external_id = _checked_external_id(caller, raw_external_id)
    if not caller.app.linking_enabled:
        raise UserlinkingNotConfigured()
    install = installs.find(work, install_id) if install_id is not None else None
    if install is None:
        raise InstallNotFound()
    if install.app_id != caller.app_id:
        raise InstallDoesNotBelongToApp()
    own = users.get_in_app(work, caller.app_id, install.user_id)
    step = install_rules.link_step(install.status, own.external_id, external_id)
    if step is LinkStep.INSTALL_DISABLED:
        raise InstallDisabled()
    if step is LinkStep.INSTALL_DELETED:
        raise InstallDeleted()
    if step is LinkStep.LINKED_TO_OTHER_USER:
        raise InstallLinkedToOtherUser()
    target = _user_of(work, caller.app_id, external_id) if step is LinkStep.LINK else None
    if target is None or target.id == own.id:
        outcome = (
            LinkOutcome.ALREADY_LINKED if step is LinkStep.ALREADY_LINKED else LinkOutcome.LINK
        )
        live = _live_installs(work, own)
        current = next(i for i in live if i.id == install.id)
        return LinkPreview(
            outcome=outcome,
            user_id=own.id,
            installs=live,
            install=install_rules.Arrival(
                is_active=current.is_active,
                inactive_reason=_reason(current.inactive_reason),
                takes_over_from=None,
            ),
        )
    if not install_rules.may_join_existing_user(own.established_at is not None):
        raise CannotLinkExistingPersonToOtherPerson()
    live = _live_installs(work, target)
    return LinkPreview(
        outcome=LinkOutcome.JOIN,
        user_id=target.id,
        installs=live,
        install=install_rules.arrival([_facts(i) for i in live], _facts(install)),
    )


def _checked_external_id(caller: ApiKeyCaller, raw_external_id: str) -> str:
    external_id = code_rules.normalise_external_id(raw_external_id)
    if external_id is None:
        raise InvalidExternalId()
    if caller.app.refuses_external_id(external_id):
        raise ExternalIdBlocked.of(external_id)
    return external_id


def _user_of(work: UnitOfWork, app_id: uuid.UUID, external_id: str) -> User | None:
    try:
        return users.find_by_external_id(work, app_id, external_id)
    except UserNotFound:
        return None


def _live_installs(work: UnitOfWork, user: User | None) -> list[Install]:
    if user is None:
        return []
    return [i for i in installs.installs_of(work, user.id) if i.status == install_rules.LIVE]


def _facts(install: Install) -> InstallFacts:
    return InstallFacts(
        id=install.id, device_class=install.device_class, created_at=install.created_at
    )


def _reason(value: str | None) -> install_rules.InactiveReason | None:
    return install_rules.InactiveReason(value) if value is not None else None
