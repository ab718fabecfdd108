from __future__ import annotations

from userlink.errors import Unauthorized


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
