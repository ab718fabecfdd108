"""Delivering the outbox: a worker claims due messages (`service.claim_due`), sends each signed
per the Standard Webhooks specification with httpx, outside any transaction, and records the
outcome (`service.record_outcome`). `userlink worker` runs one; on the embedded SQLite default
the server's lifespan runs one in a thread."""

from __future__ import annotations

import logging
import random
import socket
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx

from userlink.config import Settings
from userlink.kit.clock import Clock
from userlink.unit_of_work import UnitOfWork
from userlink.webhooks import rules, service

logger = logging.getLogger("userlink.webhooks")

BATCH = 20


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None


class AddressRefused(Exception):
    pass


class Sender:
    """POSTs a message to its endpoint: redirects never followed, a timeout per attempt, and
    outside development https only, to a public address checked as resolved at delivery (the
    connection goes to that very address, the name kept for Host and TLS)."""

    def __init__(
        self,
        *,
        timeout: float,
        insecure_allowed: bool,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._insecure_allowed = insecure_allowed
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def _target(self, url: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """The URL to connect to, extra headers and request extensions."""
        if self._insecure_allowed:
            return url, {}, {}
        parts = urlsplit(url)
        host = parts.hostname
        if parts.scheme != "https" or not host:
            raise AddressRefused("Refused: webhook URLs must use https.")
        port = parts.port or 443
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            raise AddressRefused(f"The host does not resolve ({error}).") from None
        addresses = [str(info[4][0]) for info in infos]
        if not addresses or not all(rules.is_public_address(a) for a in addresses):
            raise AddressRefused(
                "Refused: the host resolves to a private, loopback or link-local address."
            )
        address = addresses[0]
        literal = f"[{address}]" if ":" in address else address
        pinned = urlunsplit(("https", f"{literal}:{port}", parts.path, parts.query, ""))
        return pinned, {"host": parts.netloc}, {"sni_hostname": host}

    def send(self, url: str, headers: Mapping[str, str], body: str) -> Outcome:
        try:
            target, extra, extensions = self._target(url)
            request = self._client.build_request(
                "POST",
                target,
                headers={**headers, **extra},
                content=body.encode("utf-8"),
                extensions=extensions,
            )
            # Streamed and closed at once: the status is all a delivery needs of the answer.
            response = self._client.send(request, stream=True)
            response.close()
        except AddressRefused as error:
            return Outcome(None, str(error))
        except httpx.TimeoutException:
            return Outcome(None, "Timed out.")
        except httpx.HTTPError as error:
            return Outcome(None, f"{type(error).__name__}: {error}"[:500])
        if response.is_redirect:
            return Outcome(response.status_code, "A redirect: never followed.")
        return Outcome(response.status_code, None)


def signed_headers(message: service.ClaimedMessage, clock: Clock) -> dict[str, str]:
    now = clock.now()
    return {
        "content-type": "application/json",
        "user-agent": "userlink-webhooks/1",
        "webhook-id": message.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": rules.signature_header(
            message.secrets, message.message_id, now, message.body
        ),
    }


class Worker:
    def __init__(
        self,
        *,
        unit_of_work: Callable[[], AbstractContextManager[UnitOfWork]],
        settings: Settings,
        clock: Clock,
        sender: Sender | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._settings = settings
        self._clock = clock
        self._sender = sender or Sender(
            timeout=settings.webhook_timeout_seconds,
            insecure_allowed=settings.webhook_insecure_targets_allowed,
        )
        self._rand = rand
        # Long enough for an attempt to end (connect, write, read: each up to the timeout); a
        # worker killed mid-attempt leaves its messages to others once it is over.
        self._lease = timedelta(seconds=3 * settings.webhook_timeout_seconds + 5)

    def close(self) -> None:
        self._sender.close()

    def run_once(self, stop: threading.Event | None = None) -> int:
        """One batch of due messages attempted; how many. Once `stop` is set, the message in
        flight ends and the rest of the batch is handed back, due at once for any worker."""
        with self._unit_of_work() as work:
            claimed = service.claim_due(work, limit=BATCH, lease=self._lease)
        for attempted, message in enumerate(claimed):
            if stop is not None and stop.is_set():
                with self._unit_of_work() as work:
                    service.hand_back(work, claimed[attempted:])
                return attempted
            if not message.secrets:
                outcome = Outcome(None, "The signing secret cannot be opened (secret key changed).")
            else:
                outcome = self._sender.send(
                    message.url, signed_headers(message, self._clock), message.body
                )
            with self._unit_of_work() as work:
                service.record_outcome(
                    work,
                    message,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    rand=self._rand(),
                )
        return len(claimed)

    def run_until(self, stop: threading.Event) -> None:
        """Batches until `stop` is set, waiting `webhook_poll_seconds` when nothing was due; an
        unexpected error (the database away) is logged and the loop goes on."""
        while not stop.is_set():
            try:
                attempted = self.run_once(stop)
            except Exception:
                logger.exception("webhook delivery failed; trying again")
                attempted = 0
            if attempted == 0:
                stop.wait(self._settings.webhook_poll_seconds)


class BackgroundWorker:
    """A worker in a daemon thread of the server process (the embedded SQLite default)."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=worker.run_until, args=(self._stop,), name="webhooks", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self._worker.close()
