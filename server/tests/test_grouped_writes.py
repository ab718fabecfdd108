"""SQLite's grouped writes (`http/grouped_writes.py`): units of work that arrive together run in
one transaction, each in a savepoint. Each keeps exactly what a unit of work alone would keep: its
changes when it ends well, none when it is refused, its changes when its refusal keeps them."""

from __future__ import annotations

import asyncio
import threading

from userlink.apps import service as apps
from userlink.errors import Conflict
from userlink.http.grouped_writes import GroupedWritesRunner
from userlink.runtime import Runtime
from userlink.unit_of_work import UnitOfWork


class Refused(Conflict):
    error_code = "TEST_REFUSED"


class RefusedKeepingItsRecord(Conflict):
    error_code = "TEST_REFUSED_KEEPING"
    keep_changes = True


def test_units_of_work_grouped_in_one_transaction_keep_what_each_would_keep_alone(
    runtime: Runtime,
) -> None:
    runner = GroupedWritesRunner(runtime)
    first_started, release_first = threading.Event(), threading.Event()

    def first(work: UnitOfWork) -> str:
        # Holds the writer, so that the next three wait in its queue and run as one group.
        first_started.set()
        release_first.wait(timeout=10)
        return apps.create_app(work, name="grouped first").app.name

    def ends_well(work: UnitOfWork) -> str:
        return apps.create_app(work, name="grouped kept").app.name

    def refused(work: UnitOfWork) -> str:
        apps.create_app(work, name="grouped undone")
        raise Refused()

    def refused_keeping(work: UnitOfWork) -> str:
        apps.create_app(work, name="grouped kept by its refusal")
        raise RefusedKeepingItsRecord()

    async def burst() -> list[object]:
        first_answer = asyncio.ensure_future(runner.run("ref-0", first))
        while not first_started.is_set():
            await asyncio.sleep(0.005)
        group = [
            asyncio.ensure_future(runner.run(f"ref-{n}", use_case))
            for n, use_case in enumerate((ends_well, refused, refused_keeping), start=1)
        ]
        await asyncio.sleep(0.05)  # all three queued behind the first
        release_first.set()
        return await asyncio.gather(first_answer, *group, return_exceptions=True)

    try:
        answers = asyncio.run(burst())
    finally:
        runner.stop()

    assert answers[:2] == ["grouped first", "grouped kept"]
    assert isinstance(answers[2], Refused)
    assert isinstance(answers[3], RefusedKeepingItsRecord)
    with runtime.unit_of_work() as work:
        names = {app.name for app in apps.list_apps(work)}
    assert {"grouped first", "grouped kept", "grouped kept by its refusal"} <= names
    assert "grouped undone" not in names
