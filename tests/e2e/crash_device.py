"""A device as its own process, for the crash tests (tests/e2e/test_crash_recovery.py): it
uploads the payloads queued in its state directory, one batch per `upload_payloads` call, until
the queue is empty, and prints one JSON line per call:

    {"acknowledged": [ids the platform acknowledged in this call], "sent": n, "error": null}

then `{"done": true, "remaining": 0}`. A failed call (the platform unreachable) is printed with
its reason and tried again a moment later, until `--deadline` seconds have passed (then it
exits 1).

So that a test can crash a process at a chosen point, the device can hold its N-th upload
request (counting retries), printing `{"holding": "request"}` or `{"holding": "answer"}` and
waiting for a line on stdin:

* `--hold-request N`: before sending it; `go` sends it.
* `--hold-answer N`: once its answer has arrived, before the SDK sees it; `deliver` hands the
  answer to the SDK, `lose` drops it as a connection reset would.

    python crash_device.py STATE_DIR [--hold-request N | --hold-answer N] [--deadline SECONDS]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import httpx

from userlink_sdk import PayloadUploadError, UserLink

UPLOAD_PATH = "/sdk/v1/payloads"
# The SDK's backoff between attempts of one batch, capped: the platform comes back in seconds.
MAX_WAIT = 0.2


def say(line: dict[str, object]) -> None:
    print(json.dumps(line), flush=True)


def hold(what: str) -> str:
    say({"holding": what})
    return sys.stdin.readline().strip()


class DeviceTransport(httpx.BaseTransport):
    """A real transport that notes the payload ids of every upload answer the SDK receives, and
    holds one upload request or its answer when asked to."""

    def __init__(self, *, hold_request: int | None, hold_answer: int | None) -> None:
        self.inner = httpx.HTTPTransport()
        self.hold_request = hold_request
        self.hold_answer = hold_answer
        self.uploads = 0
        self.acknowledged: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != UPLOAD_PATH:
            return self.inner.handle_request(request)
        self.uploads += 1
        if self.uploads == self.hold_request:
            hold("request")
        response = self.inner.handle_request(request)
        response.read()
        if self.uploads == self.hold_answer and hold("answer") == "lose":
            response.close()
            raise httpx.ReadError("the answer was lost in a crash", request=request)
        if response.status_code == 200:
            self.acknowledged.extend(result["id"] for result in response.json()["results"])
        return response

    def take(self) -> list[str]:
        taken, self.acknowledged = self.acknowledged, []
        return taken

    def close(self) -> None:
        self.inner.close()


def short_sleep(seconds: float) -> None:
    time.sleep(min(seconds, MAX_WAIT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("state_dir", type=Path)
    parser.add_argument("--hold-request", type=int, default=None)
    parser.add_argument("--hold-answer", type=int, default=None)
    parser.add_argument("--deadline", type=float, default=120.0)
    args = parser.parse_args()

    transport = DeviceTransport(hold_request=args.hold_request, hold_answer=args.hold_answer)
    deadline = time.monotonic() + args.deadline
    with UserLink(args.state_dir, transport=transport, sleep=short_sleep) as sdk:
        while sdk.pending_payloads():
            if time.monotonic() > deadline:
                return 1
            error = None
            try:
                report = sdk.upload_payloads(max_batches=1)
            except PayloadUploadError as exc:
                error = exc.reason.value
                report = exc.report
            say(
                {
                    "acknowledged": transport.take(),
                    "sent": report.sent if report else 0,
                    "error": error,
                }
            )
            if error is not None:
                time.sleep(MAX_WAIT)
        say({"done": True, "remaining": sdk.pending_payloads()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
