from __future__ import annotations

from userlink.errors import Forbidden, NotFound, Unauthorized


class InstallDeregistered(Unauthorized):
    error_code = "INSTALL_DEREGISTERED"
    default_message = "This install was reset; its credentials no longer work."


class InstallNotFound(NotFound):
    error_code = "INSTALL_NOT_FOUND"
    default_message = "Install was not found by the install ID provided."


class InstallDoesNotBelongToApp(Forbidden):
    error_code = "INSTALL_DOES_NOT_BELONG_TO_APP"
    default_message = "Install does not belong to this application."


class InstallDisabled(Forbidden):
    error_code = "INSTALL_DISABLED"
    default_message = "Install is disabled."


class InstallDeleted(Forbidden):
    error_code = "INSTALL_DELETED"
    default_message = "Install is deleted."
