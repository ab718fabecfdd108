from __future__ import annotations

from userlink.errors import Forbidden, NotFound, Unauthorized


class AccessTokenInvalid(Unauthorized):
    error_code = "ACCESS_TOKEN_INVALID"
    default_message = "The access token is not valid."


class AccessTokenExpired(Unauthorized):
    error_code = "ACCESS_TOKEN_EXPIRED"
    default_message = "The access token has expired; refresh it."


class RefreshTokenInvalid(Unauthorized):
    error_code = "REFRESH_TOKEN_INVALID"
    default_message = "The refresh token is not valid (unknown, or already used)."


class RefreshTokenExpired(Unauthorized):
    error_code = "REFRESH_TOKEN_EXPIRED"
    default_message = "The refresh token has expired; create the user again with a new code."


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
