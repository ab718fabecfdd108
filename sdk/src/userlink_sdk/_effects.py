"""The SDK's wire core is sans-I/O (httpx's pattern): the parts that talk to the platform are
generators that *yield* what they need done and get the outcome sent back. The sync facade
(`UserLink`) performs the effects with blocking calls, the async one (`AsyncUserLink`) awaits
them; everything else (requests built, answers read, retries, failures named, the device state
kept) is the same code for both.

Three effects:

* `Send`: an HTTP request; the outcome is the `httpx.Response`, or the transport's exception
  (`httpx.TransportError`, `PinningError`) sent back as a value, never raised into the core.
* `Sleep`: wait that many seconds (a backoff or a `Retry-After`); the outcome is None.
* `CallLinker`: run the app's linker with an install id, at most `timeout` seconds; the outcome
  is a `LinkOutcome`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Mapping
from typing import Any, TypeAlias, TypeVar

from ._linkers import Linker

__all__ = ["CallLinker", "Effect", "Send", "Sleep", "Steps"]

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Send:
    method: str
    url: str
    headers: Mapping[str, str]
    json: Mapping[str, Any] | None = dataclasses.field(default=None, repr=False)


@dataclasses.dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclasses.dataclass(frozen=True)
class CallLinker:
    linker: Linker
    install_id: str
    timeout: float


Effect: TypeAlias = Send | Sleep | CallLinker
#: A computation of the core: yields effects, receives their outcomes, returns a `T`.
Steps: TypeAlias = Generator[Effect, Any, T]
