"""Log output: JSON lines (one object per record) or plain text, for the platform's loggers and
uvicorn's alike. `logging_config` is what `userlink serve` hands uvicorn, so that every worker
process configures itself the same way."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

# The attributes every LogRecord has; anything else on a record came from `extra=` and is a field.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", ...extra fields, "exception"}` on one line.

    Every request writes one of these lines, so it is built with few steps: the extra fields
    found by one set difference (in C), the time text reused within the second."""

    def format(self, record: logging.LogRecord) -> str:
        fields = record.__dict__
        entry: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if fields.keys() - _STANDARD:
            for key, value in fields.items():
                if key not in _STANDARD and key[0] != "_" and key != "color_message":
                    entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


_second_text: tuple[int, str] = (-1, "")


def _utc(created: float) -> str:
    """ISO 8601 in UTC to the millisecond (`2026-01-31T12:00:00.123Z`)."""
    global _second_text
    second = int(created)
    if _second_text[0] != second:
        _second_text = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{_second_text[1]}.{int(created % 1 * 1000):03d}Z"


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the userlink and uvicorn loggers, to standard error.
    uvicorn's own access log stays off: the platform logs each request itself."""
    formatter: dict[str, Any] = (
        {"()": "userlink.kit.logs.JsonFormatter"}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": {
            "userlink": {"handlers": ["default"], "level": upper, "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": upper, "propagate": False},
            "uvicorn.error": {"level": upper},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
