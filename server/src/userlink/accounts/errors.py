from __future__ import annotations

from userlink.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed


class AccountNotFound(NotFound):
    error_code = "ACCOUNT_NOT_FOUND"
    default_message = "No such account."


class OrganisationNotFound(NotFound):
    error_code = "ORGANISATION_NOT_FOUND"
    default_message = "No such organisation."


class AccountExists(Conflict):
    error_code = "ACCOUNT_EXISTS"
    default_message = "An account with this email exists already."


class InvalidEmail(ValidationFailed):
    error_code = "INVALID_EMAIL"
    default_message = "This is not an email address."


class WeakPassword(ValidationFailed):
    error_code = "WEAK_PASSWORD"
    default_message = "This password is not acceptable."


class InvalidLogin(Unauthorized):
    error_code = "INVALID_LOGIN"
    default_message = "Wrong email or password."


class InvalidSecondFactor(Unauthorized):
    error_code = "INVALID_SECOND_FACTOR"
    default_message = "Wrong or already used code."


class NotAllowed(Forbidden):
    error_code = "DASHBOARD_FORBIDDEN"
    default_message = "Your role does not allow this."


class LastOwner(Conflict):
    error_code = "LAST_OWNER"
    default_message = "An organisation keeps at least one owner."


class InvitationInvalid(NotFound):
    error_code = "INVITATION_INVALID"
    default_message = "This invitation link is unknown, used, revoked or expired."


class AlreadyMember(Conflict):
    error_code = "ALREADY_MEMBER"
    default_message = "This account is a member of the organisation already."


class TotpNotStarted(Conflict):
    error_code = "TOTP_NOT_STARTED"
    default_message = "Start the authenticator enrolment first."
