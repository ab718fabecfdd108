"""One active installation per user (DESIGN §2.3), as pure functions.

The active install is a function of the user's live installs only: phones beat tablets, and within
a class the most recently installed wins. Ties on the creation time fall to the larger id, so the
answer never depends on the order the installs are listed in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

TABLET_MIN_DIAGONAL_INCHES = 7.0

# The flow that registered an install.
VIA_CODE = "code"
VIA_LEGACY = "legacy"

# An install's status.
LIVE = "live"
RESET = "reset"
DISABLED = "disabled"


class Platform(StrEnum):
    ANDROID = "android"
    IOS = "ios"
    OTHER = "other"


class DeviceClass(StrEnum):
    PHONE = "phone"
    TABLET = "tablet"


class InactiveReason(StrEnum):
    PHONE_PREFERRED_OVER_TABLET = "PHONE_PREFERRED_OVER_TABLET"
    NEWER_INSTALL_ACTIVE = "NEWER_INSTALL_ACTIVE"
    INSTALL_RESET = "INSTALL_RESET"


def classify(
    platform: Platform, screen_diagonal_inches: float | None, ios_idiom: str | None
) -> DeviceClass:
    """iOS by idiom (pad is a tablet); everything else by diagonal (7 inches and up is a tablet).
    Unknown size counts as a phone, the common case."""
    if platform is Platform.IOS:
        return DeviceClass.TABLET if ios_idiom == "pad" else DeviceClass.PHONE
    if screen_diagonal_inches is not None and screen_diagonal_inches >= TABLET_MIN_DIAGONAL_INCHES:
        return DeviceClass.TABLET
    return DeviceClass.PHONE


@dataclass(frozen=True)
class InstallFacts:
    id: uuid.UUID
    device_class: DeviceClass
    created_at: datetime


def _rank(install: InstallFacts) -> tuple[bool, datetime, str]:
    return (install.device_class is DeviceClass.PHONE, install.created_at, str(install.id))


def choose_active(live_installs: Iterable[InstallFacts]) -> uuid.UUID | None:
    best = max(live_installs, key=_rank, default=None)
    return best.id if best is not None else None


def inactive_reason(install: InstallFacts, active: InstallFacts) -> InactiveReason | None:
    if install.id == active.id:
        return None
    if install.device_class is DeviceClass.TABLET and active.device_class is DeviceClass.PHONE:
        return InactiveReason.PHONE_PREFERRED_OVER_TABLET
    return InactiveReason.NEWER_INSTALL_ACTIVE


@dataclass(frozen=True)
class Activity:
    is_active: bool
    inactive_reason: InactiveReason | None


def assign_activity(live_installs: Iterable[InstallFacts]) -> dict[uuid.UUID, Activity]:
    """What every live install of one user should be: exactly one active (when any is live), and
    each other one inactive with the reason the active one beats it."""
    facts = list(live_installs)
    chosen = choose_active(facts)
    active = next((f for f in facts if f.id == chosen), None)
    if active is None:
        return {}
    return {
        f.id: Activity(is_active=f.id == chosen, inactive_reason=inactive_reason(f, active))
        for f in facts
    }


class DisplacementReason(StrEnum):
    """Why an install lost the active role to another install of its user (`install.displaced`)."""

    NEWER_INSTALL = "newer_install"
    PHONE_OVER_TABLET = "phone_over_tablet"


@dataclass(frozen=True)
class Displacement:
    displaced: uuid.UUID
    new_active: uuid.UUID
    reason: DisplacementReason


def displacement(
    previously_active: uuid.UUID | None, plan: dict[uuid.UUID, Activity]
) -> Displacement | None:
    """Whether applying `plan` (the user's live installs) takes the active role from the install
    that held it: only when that install stays live and another one gets the role. An install
    that ends is not displaced (the role passing on from it is a handover). The reason is the
    rule's own: what the new active install beats the displaced one by."""
    if previously_active is None or previously_active not in plan:
        return None
    lost = plan[previously_active]
    new_active = next((i for i, activity in plan.items() if activity.is_active), None)
    if lost.is_active or new_active is None:
        return None
    reason = (
        DisplacementReason.PHONE_OVER_TABLET
        if lost.inactive_reason is InactiveReason.PHONE_PREFERRED_OVER_TABLET
        else DisplacementReason.NEWER_INSTALL
    )
    return Displacement(displaced=previously_active, new_active=new_active, reason=reason)


APP_DISABLED = "APP_DISABLED"


def effective_activity(
    is_active: bool, inactive_reason: str | None, *, app_enabled: bool
) -> tuple[bool, str | None]:
    """Whether an install's payloads are processed: its own flag, unless its app's remote switch
    is off, which silences every install of the app."""
    if not app_enabled:
        return False, APP_DISABLED
    return is_active, None if is_active else inactive_reason


class LinkStep(StrEnum):
    """What `POST /v2/users/{install_id}/link` may do with an install of the calling app."""

    ALREADY_LINKED = "already_linked"  # to this very external id: answer its user again
    LINK = "link"  # unlinked: link its user, or join the external id's user if it exists
    INSTALL_DISABLED = "install_disabled"
    INSTALL_DELETED = "install_deleted"
    LINKED_TO_OTHER_USER = "linked_to_other_user"


def link_step(status: str, current_external_id: str | None, requested_external_id: str) -> LinkStep:
    if status == DISABLED:
        return LinkStep.INSTALL_DISABLED
    if status != LIVE:
        return LinkStep.INSTALL_DELETED
    if current_external_id == requested_external_id:
        return LinkStep.ALREADY_LINKED
    if current_external_id is not None:
        return LinkStep.LINKED_TO_OTHER_USER
    return LinkStep.LINK


def may_join_existing_user(established: bool) -> bool:
    """An unlinked install whose external id already has a user joins that user only while its
    own user is provisional (its SDK never finished initialising); an established user would be
    merged into another person's."""
    return not established


@dataclass(frozen=True)
class Arrival:
    """What an install arriving among a user's live installs would be: active or not (and why
    not), and the install it would take the active role from."""

    is_active: bool
    inactive_reason: InactiveReason | None
    takes_over_from: uuid.UUID | None


def arrival(live_installs: Iterable[InstallFacts], newcomer: InstallFacts) -> Arrival:
    """The rule a redemption (a new install) or a link (an install joining a user) applies, for
    previews: `assign_activity` over the user's live installs and the newcomer."""
    facts = [f for f in live_installs if f.id != newcomer.id]
    before = choose_active(facts)
    activity = assign_activity([*facts, newcomer])[newcomer.id]
    return Arrival(
        is_active=activity.is_active,
        inactive_reason=activity.inactive_reason,
        takes_over_from=before if activity.is_active else None,
    )
