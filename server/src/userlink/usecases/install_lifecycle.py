"""Ending an install: reset by its device (`reset()`), or disabled by an operator. Either way its
credentials are revoked and the active role passes on by the rule."""

from __future__ import annotations

import uuid

from userlink.installs import service as installs
from userlink.installs.rules import DISABLED, RESET, InactiveReason
from userlink.sdk_credentials import service as credentials
from userlink.sdk_credentials.service import SdkCaller
from userlink.unit_of_work import UnitOfWork
from userlink.users import service as users

INSTALL_DISABLED = "INSTALL_DISABLED"


def reset(work: UnitOfWork, caller: SdkCaller) -> None:
    install = installs.get_live_locked(work, caller.install_id, caller.user_id)
    installs.end(
        work,
        install,
        status=RESET,
        reason=InactiveReason.INSTALL_RESET.value,
        actor=caller.actor,
    )
    credentials.revoke(work, install.id)


def disable(
    work: UnitOfWork, install_id: uuid.UUID, *, actor: str = "operator"
) -> installs.Install:
    """Operator action: the install stops working at once and loses the active role. `actor`
    names who did it in the audit log (the CLI's "operator", or a dashboard account)."""
    install = installs.find_for_operator(work, install_id)
    users.lock(work, install.user_id)
    installs.end(work, install, status=DISABLED, reason=INSTALL_DISABLED, actor=actor)
    credentials.revoke(work, install_id)
    return installs.get(work, install_id)
