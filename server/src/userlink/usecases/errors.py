from __future__ import annotations

from userlink.errors import Conflict, Forbidden, NotFound, ValidationFailed


class UserlinkingNotConfigured(Forbidden):
    error_code = "USERLINKING_NOT_CONFIGURED"
    default_message = "User linking is not enabled for this app."


class InstallLinkedToOtherUser(Forbidden):
    error_code = "INSTALL_LINKED_TO_OTHER_USER"
    default_message = "Install linked to another user."


class CannotLinkExistingPersonToOtherPerson(Forbidden):
    error_code = "CANNOT_LINK_EXISTING_PERSON_TO_OTHER_PERSON"
    default_message = (
        "This install is already in use, linking to another install is not possible: its user "
        "exists on its own. Reset the SDK and create the user with an authentication code instead."
    )


class InstallNotLinked(Conflict):
    error_code = "INSTALL_NOT_LINKED"
    default_message = "The platform shows no link for this install; the link request failed."


class UserAlreadyLinked(Conflict):
    error_code = "USER_ALREADY_LINKED"
    default_message = "The user of this install is linked already."


class ExternalIdAlreadyLinked(Conflict):
    error_code = "EXTERNAL_ID_ALREADY_LINKED"
    default_message = (
        "This external id already has a user, which cannot be restored here: reset the SDK and "
        "create the user with this code instead."
    )


class ConfirmationMismatch(ValidationFailed):
    error_code = "CONFIRMATION_MISMATCH"
    default_message = (
        "The confirmation does not match: type the user's external id (or its user id) exactly."
    )


class InstallAlreadyEnded(Conflict):
    error_code = "INSTALL_ALREADY_ENDED"
    default_message = "This install is reset or disabled already."


class EventNotFound(NotFound):
    error_code = "EVENT_NOT_FOUND"
    default_message = "No event with this id in this user's ledger."


class EventNotUndoable(Conflict):
    error_code = "EVENT_NOT_UNDOABLE"
    default_message = "Only a restore (`user.restored`) or a link (`user.linked`) can be undone."


class UndoWindowPassed(Conflict):
    error_code = "UNDO_WINDOW_PASSED"
    default_message = "This event is older than the app's undo window."


class UndoBlockedByLaterEvents(Conflict):
    error_code = "UNDO_BLOCKED_BY_LATER_EVENTS"
    default_message = "Later events depend on this one; undo them first."
