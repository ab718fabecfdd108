"""Apply Alembic migrations programmatically (no alembic.ini to find)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from userlink.db import build_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


@dataclass(frozen=True)
class Upgrade:
    before: str | None  # None: a database without the schema
    after: str | None
    applied: int

    def describe(self) -> str:
        if self.applied == 0:
            return f"database is at the latest migration ({self.after})"
        if self.before is None:
            return f"created the schema: applied {self.applied} migrations (up to {self.after})"
        return f"applied {self.applied} migrations ({self.before} -> {self.after})"


def head_revision() -> str | None:
    """The newest migration this code ships."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def revision_on(connection: Connection) -> str | None:
    """The migration the database behind `connection` is at (None: no schema)."""
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(database_url: str) -> str | None:
    engine = build_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            return revision_on(connection)
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> Upgrade:
    """Apply what is missing; say what that was."""
    config = alembic_config(database_url)
    # A SQLite file and its directory are created by the engine (userlink.db), private to this user.
    before = current_revision(database_url)
    command.upgrade(config, revision)
    after = current_revision(database_url)
    script = ScriptDirectory.from_config(config)
    applied = (
        0
        if after is None or before == after
        else sum(1 for _ in script.iterate_revisions(after, before or "base"))
    )
    return Upgrade(before=before, after=after, applied=applied)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


@dataclass(frozen=True)
class Step:
    revision: str
    down_revision: str | None
    description: str


def history() -> list[Step]:
    """Every migration this code ships, oldest first."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    steps = [
        Step(
            revision=str(found.revision),
            down_revision=str(found.down_revision) if found.down_revision else None,
            description=" ".join((found.doc or "").split()),
        )
        for found in script.walk_revisions()
    ]
    return list(reversed(steps))


def applied(current: str | None) -> set[str]:
    """The migrations a database at `current` has had (this code's linear history)."""
    if current is None:
        return set()
    revisions = [step.revision for step in history()]
    if current not in revisions:
        return set()
    return set(revisions[: revisions.index(current) + 1])


def pending(current: str | None) -> list[str]:
    """What `upgrade` would apply to a database at `current`, oldest first."""
    done = applied(current)
    return [step.revision for step in history() if step.revision not in done]
