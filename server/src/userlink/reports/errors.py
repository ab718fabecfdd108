from __future__ import annotations

from userlink.errors import ValidationFailed


class InvalidReportWindow(ValidationFailed):
    error_code = "INVALID_REPORT_WINDOW"
    default_message = "window_days must be a whole number of days from 1 to 365."
