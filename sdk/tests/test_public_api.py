import importlib

import userlink_sdk

EXPECTED_ALL = [
    "NO_OP_LINKER",
    "AsyncUserLink",
    "DeviceInfo",
    "DeviceStateError",
    "InitError",
    "InitIssue",
    "InitState",
    "LegacyConfig",
    "LinkerCallback",
    "PayloadSubmissionError",
    "PayloadSubmissionFailureReason",
    "PayloadUploadError",
    "PayloadUploadFailureReason",
    "PinningError",
    "ResetError",
    "ResetFailureReason",
    "ResetResult",
    "SdkConfiguration",
    "SdkStatus",
    "SdkStatusError",
    "SdkStatusFailureReason",
    "Token",
    "UploadConfiguration",
    "UploadReport",
    "UserAccessTokenError",
    "UserAccessTokenFailureReason",
    "UserCreationError",
    "UserCreationFailureReason",
    "UserCreationOptions",
    "UserCreationResult",
    "UserDisplacedEvent",
    "UserDisplacedListener",
    "UserInfo",
    "UserLink",
    "UserLinkError",
    "UserLinker",
    "UserLinkerAsync",
    "UserLinkingError",
    "UserLinkingFailureReason",
    "UserLinkingResult",
    "__version__",
]


def test_public_names_are_pinned():
    assert userlink_sdk.__all__ == EXPECTED_ALL


def test_every_public_name_is_importable_from_the_package():
    missing = [name for name in EXPECTED_ALL if not hasattr(userlink_sdk, name)]
    assert missing == []


def test_public_classes_report_the_public_module():
    modules = {
        getattr(userlink_sdk, name).__module__
        for name in EXPECTED_ALL
        if isinstance(getattr(userlink_sdk, name), type)
    }
    assert modules == {"userlink_sdk"}


def test_every_sdk_exception_derives_from_userlink_error():
    errors = [
        getattr(userlink_sdk, name)
        for name in EXPECTED_ALL
        if isinstance(getattr(userlink_sdk, name), type)
        and issubclass(getattr(userlink_sdk, name), Exception)
    ]
    assert all(issubclass(error, userlink_sdk.UserLinkError) for error in errors)


def test_the_errors_module_writes_out_the_exception_tree():
    errors_module = importlib.import_module("userlink_sdk._errors")
    documented = errors_module.__doc__ or ""
    exceptions = [
        name
        for name in EXPECTED_ALL
        if isinstance(getattr(userlink_sdk, name), type)
        and issubclass(getattr(userlink_sdk, name), Exception)
    ]
    assert [name for name in exceptions if name not in documented] == []


def test_creation_failure_reasons_keep_the_mobile_names_plus_code_reasons():
    assert [reason.value for reason in userlink_sdk.UserCreationFailureReason] == [
        "SDK_RESET_IN_PROGRESS",
        "USER_CREATION_IN_PROGRESS",
        "USER_ALREADY_EXISTS",
        "NETWORK_ERROR",
        "SERVER_ERROR",
        "UNEXPECTED_ERROR",
        "APP_SIDE_LINKING_FAILED",
        "INVALID_AUTH_CODE",
        "EXPIRED_AUTH_CODE",
        "AUTH_CODE_ALREADY_USED",
        "RATE_LIMITED",
    ]


def test_init_issues_keep_the_mobile_names():
    assert [issue.value for issue in userlink_sdk.InitIssue] == [
        "INVALID_CREDENTIALS",
        "CHANGED_CREDENTIALS",
        "SERVICE_UNREACHABLE",
        "LINK_FAILED",
        "REMOTE_DISABLED",
        "INITIALIZATION_ERROR",
        "SDK_RESET_IN_PROGRESS",
        "RATE_LIMITED",
    ]


def test_secrets_do_not_appear_in_reprs():
    options = userlink_sdk.UserCreationOptions(app_id="a", secret="s3cr3t", auth_code="c0d3")
    assert "s3cr3t" not in repr(options)
    assert "c0d3" not in repr(options)
