"""Operator CLI: `userlink serve|migrate|secret`, `userlink apps …`, `userlink keys …`."""

from __future__ import annotations

import errno
import json
import os
import secrets as stdlib_secrets
import shutil
import socket
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from userlink import config
from userlink import migrate as migrations
from userlink.accounts import rules as account_rules
from userlink.accounts import service as accounts
from userlink.accounts.rules import Role
from userlink.api_keys import service as api_keys
from userlink.apps import service as apps
from userlink.apps.rules import PkcePolicy
from userlink.cli_reports import report_cli
from userlink.config import Environment, Settings
from userlink.db import build_engine
from userlink.errors import UserlinkError
from userlink.kit import metrics
from userlink.kit.clock import SystemClock, iso_utc
from userlink.kit.logs import logging_config
from userlink.kit.passwords import hash_password
from userlink.kit.ratelimit import RateLimiter
from userlink.runtime import build_runtime
from userlink.unit_of_work import UnitOfWork
from userlink.usecases import install_lifecycle

cli = typer.Typer(help="userlink platform operator commands.", no_args_is_help=True)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"userlink {package_version('userlink-server')}")
        raise typer.Exit()


@cli.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    env_file: Annotated[
        str | None,
        typer.Option(
            "--env-file",
            envvar=config.ENV_FILE_VARIABLE,
            help="A settings file of USERLINK_*=value lines, read after the environment. "
            "Default: <data directory>/userlink.env when it exists.",
        ),
    ] = None,
) -> None:
    """userlink platform operator commands. Settings: USERLINK_* in the environment, then the
    settings file, then the defaults (docs/operations.md)."""
    _invocation["env_file"] = env_file


# The global options of the command being run (set by `main_options`, which runs first on every
# invocation): read wherever the settings are loaded.
_invocation: dict[str, str | None] = {}


def _env_file_option() -> str | None:
    return _invocation.get("env_file")


apps_cli = typer.Typer(help="Customer apps.", no_args_is_help=True)
keys_cli = typer.Typer(help="API keys of an app (shown once at creation).", no_args_is_help=True)
cli.add_typer(apps_cli, name="apps")
installs_cli = typer.Typer(help="Installs of users.", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")
cli.add_typer(installs_cli, name="installs")
accounts_cli = typer.Typer(help="Dashboard accounts and organisations.", no_args_is_help=True)
cli.add_typer(accounts_cli, name="accounts")
cli.add_typer(report_cli, name="report")


def load_settings() -> Settings:
    try:
        return config.read_settings(_env_file_option())
    except OSError as error:
        typer.secho(f"Cannot read the settings: {error}", fg="red", err=True)
        raise typer.Exit(2) from None
    except ValidationError as error:
        # Never print the input: it holds the secret key and the database URL with its password.
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        )
        typer.secho(f"Invalid settings: {problems}", fg="red", err=True)
        raise typer.Exit(2) from None


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    """The CLI's commit boundary: one transaction per command; a domain error is printed."""
    settings = load_settings()
    with database_errors_explained(settings):
        runtime = build_runtime(settings, SystemClock())
        try:
            with runtime.unit_of_work() as work:
                yield work
        except UserlinkError as error:
            typer.secho(f"{error.error_code}: {error.message}", fg="red", err=True)
            raise typer.Exit(1) from error
        finally:
            runtime.database.dispose()


def _shown_url(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


@contextmanager
def database_errors_explained(settings: Settings) -> Iterator[None]:
    """A database that cannot be opened, or has no schema yet, is one line, not a traceback."""
    try:
        yield
    except (SQLAlchemyError, OSError) as error:
        typer.secho(database_problem(settings, error), fg="red", err=True)
        raise typer.Exit(1) from None


def database_problem(settings: Settings, error: BaseException) -> str:
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    where = _shown_url(settings.database_url)
    if "no such table" in reason or ("does not exist" in reason and "relation" in reason):
        return f"The database {where} has no schema yet ({reason}): run `userlink migrate`."
    return (
        f"Cannot open the database {where}: {reason}. Check USERLINK_DATABASE_URL "
        f"(default: SQLite under the data directory {settings.data_dir}, USERLINK_DATA_DIR)."
    )


def parse_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not an id") from error


JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON array instead of a table.")]


def show(rows: list[dict[str, Any]], *, as_json: bool, columns: tuple[str, ...]) -> None:
    """A list command's answer: a table for people, or `--json` (every field) for scripts."""
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("(none)")
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row[column]) for column in columns))
    console().print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(value)


def console() -> Console:
    # Piped into a file or another program, a table is never folded to 80 columns.
    interactive = sys.stdout.isatty()
    return Console(width=None if interactive else 10_000, highlight=False)


migrate_cli = typer.Typer(
    help="Database migrations. Alone: apply what is missing (idempotent).",
    invoke_without_command=True,
)
cli.add_typer(migrate_cli, name="migrate")


@migrate_cli.callback()
def migrate_command(context: typer.Context) -> None:
    """Database migrations. Alone: apply what is missing (idempotent) and say what it did."""
    if context.invoked_subcommand is not None:
        return
    settings = load_settings()
    with database_errors_explained(settings):
        typer.echo(migrations.upgrade(settings.database_url).describe())


@migrate_cli.command("status")
def migrate_status(as_json: JsonOption = False) -> None:
    """The database's migration, this code's, and what is missing; exit 1 when behind."""
    settings = load_settings()
    with database_errors_explained(settings):
        current = migrations.current_revision(settings.database_url)
    head = migrations.head_revision()
    pending = migrations.pending(current)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "database": _shown_url(settings.database_url),
                    "current": current,
                    "head": head,
                    "pending": pending,
                },
                indent=2,
            )
        )
    else:
        typer.echo(f"database  {_shown_url(settings.database_url)}")
        typer.echo(f"current   {current or 'none (no schema)'}")
        typer.echo(f"head      {head}")
        typer.echo(
            f"pending   {' '.join(pending)}: run `userlink migrate`" if pending else "up to date"
        )
    if pending:
        raise typer.Exit(1)


@migrate_cli.command("history")
def migrate_history(as_json: JsonOption = False) -> None:
    """Every migration this code ships, oldest first, and which the database is at."""
    settings = load_settings()
    with database_errors_explained(settings):
        current = migrations.current_revision(settings.database_url)
    rows = [
        {
            "revision": step.revision,
            "down_revision": step.down_revision,
            "description": step.description,
            "applied": step.revision in migrations.applied(current),
            "current": step.revision == current,
        }
        for step in migrations.history()
    ]
    show(rows, as_json=as_json, columns=("revision", "description", "applied", "current"))


@migrate_cli.command("downgrade")
def migrate_downgrade(
    revision: Annotated[str, typer.Argument(help="The migration to go back to (`base`: none).")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask (downgrades drop tables and columns).")
    ] = False,
) -> None:
    """Go back to an earlier migration. Data in what is dropped is lost: back up first."""
    settings = load_settings()
    known = {step.revision for step in migrations.history()} | {"base"}
    if revision not in known:
        typer.secho(
            f"No migration {revision!r}; see `userlink migrate history`.", fg="red", err=True
        )
        raise typer.Exit(2)
    with database_errors_explained(settings):
        before = migrations.current_revision(settings.database_url)
        if not yes:
            typer.confirm(
                f"Downgrade {_shown_url(settings.database_url)} from {before} to {revision}? "
                "What the later migrations added is dropped",
                abort=True,
            )
        migrations.downgrade(settings.database_url, revision)
        after = migrations.current_revision(settings.database_url)
    typer.echo(f"downgraded {before or 'none'} -> {after or 'none (no schema)'}")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


@cli.command("doctor")
def doctor_command(as_json: JsonOption = False) -> None:
    """Check the settings, the database, its migrations and the rate-limit storage; say what to
    fix. Exit 1 when a check fails."""
    checks = run_checks(_env_file_option())
    if as_json:
        typer.echo(json.dumps([asdict(check) for check in checks], indent=2))
    else:
        for check in checks:
            mark = typer.style("ok  ", fg="green") if check.ok else typer.style("FAIL", fg="red")
            typer.echo(f"{mark}  {check.name:20} {check.detail}")
            if check.fix:
                typer.echo(f"      {'':20} fix: {check.fix}")
    if not all(check.ok for check in checks):
        raise typer.Exit(1)


def run_checks(env_file: str | None) -> list[Check]:
    try:
        settings = config.read_settings(env_file)
    except OSError as error:
        return [Check("settings", False, str(error), "name an existing file with --env-file")]
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        )
        return [Check("settings", False, problems, "set the USERLINK_* variables named")]
    source = config.settings_file(env_file)
    checks = [
        Check(
            "settings",
            True,
            f"environment {settings.environment.value}, data directory {settings.data_dir}, "
            f"file {source or 'none'}",
        )
    ]
    checks.append(_database_check(settings))
    if checks[-1].ok:
        checks.append(_migrations_check(settings))
    checks.append(_rate_limit_check(settings))
    return checks


def _database_check(settings: Settings) -> Check:
    where = _shown_url(settings.database_url)
    engine = None
    try:
        engine = build_engine(settings.database_url, pool_size=1)
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except (SQLAlchemyError, OSError) as error:
        return Check(
            "database",
            False,
            database_problem(settings, error),
            "start the database or correct USERLINK_DATABASE_URL",
        )
    finally:
        if engine is not None:
            engine.dispose()
    note = ""
    if settings.uses_sqlite and settings.environment is Environment.PRODUCTION:
        note = " (SQLite: one process only; PostgreSQL for production, docs/deployment.md)"
    return Check("database", True, f"{where} answers{note}")


def _migrations_check(settings: Settings) -> Check:
    try:
        current = migrations.current_revision(settings.database_url)
    except SQLAlchemyError as error:
        return Check("migrations", False, database_problem(settings, error))
    head = migrations.head_revision()
    if current == head:
        return Check("migrations", True, f"at {head}, this code's latest")
    if current is not None and current not in {step.revision for step in migrations.history()}:
        return Check(
            "migrations",
            False,
            f"the database is at {current}, which this code does not know (newer code ran?)",
            "run the code that migrated it, or `userlink migrate downgrade` with that code",
        )
    return Check(
        "migrations",
        False,
        f"at {current or 'none (no schema)'}, this code needs {head}",
        "run `userlink migrate`",
    )


def _rate_limit_check(settings: Settings) -> Check:
    if not settings.rate_limit_enabled:
        return Check("rate limits", True, "off (USERLINK_RATE_LIMIT_ENABLED=false)")
    storage_url = settings.rate_limit_storage_url
    if storage_url.startswith("memory"):
        return Check(
            "rate limits",
            True,
            "in memory: each process counts alone (one worker only; Redis for several)",
        )
    where = make_url(storage_url).render_as_string(hide_password=True)
    try:
        answers = RateLimiter(storage_url).storage.check()
    except Exception as error:
        answers, where = False, f"{where} ({type(error).__name__})"
    if not answers:
        return Check(
            "rate limits",
            False,
            f"the storage {where} does not answer",
            "start Redis or correct USERLINK_RATE_LIMIT_STORAGE_URL",
        )
    return Check("rate limits", True, f"shared storage {where} answers")


@cli.command("settings")
def settings_command(
    init_development: Annotated[
        bool,
        typer.Option(
            "--init-development",
            help="Write USERLINK_ENVIRONMENT=development to <data directory>/userlink.env when "
            "there is no such file (what `make run` does).",
        ),
    ] = False,
) -> None:
    """Where the settings come from: the data directory, the settings file, the database."""
    if init_development:
        path = config.write_development_file()
        if path is not None:
            typer.echo(f"wrote {path}: USERLINK_ENVIRONMENT=development")
    settings = load_settings()
    typer.echo(f"environment     {settings.environment.value}")
    typer.echo(f"data directory  {settings.data_dir}")
    typer.echo(f"settings file   {config.settings_file(_env_file_option()) or 'none'}")
    typer.echo(f"database        {_shown_url(settings.database_url)}")


@cli.command("secret")
def secret_command() -> None:
    """Print a strong value for USERLINK_SECRET_KEY."""
    typer.echo(stdlib_secrets.token_urlsafe(48))


@cli.command("serve")
def serve_command(
    bootstrap_dev_app: Annotated[
        bool, typer.Option(help="Development only: on first start, create an app and API keys.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            envvar="USERLINK_WORKERS",
            help="Worker processes. Default: one per CPU in production on PostgreSQL, else 1.",
        ),
    ] = None,
) -> None:
    """Serve the platform over HTTP (uvicorn with uvloop and httptools)."""
    import uvicorn

    settings = load_settings()
    if workers is None:
        workers = default_workers(settings)
    _refuse_busy_port(settings)
    for warning in scale_out_warnings(settings, workers):
        typer.secho(f"warning: {warning}", fg="yellow", err=True)
    if bootstrap_dev_app:
        _bootstrap_development_app(settings)
    metrics_directory = _fresh_metrics_directory(settings)
    # The workers read the same settings file (they are new processes) and write their metrics
    # where any of them can add them all up.
    settings_path = config.settings_file(_env_file_option())
    if settings_path is not None:
        os.environ[config.ENV_FILE_VARIABLE] = str(settings_path)
    os.environ[metrics.MULTIPROCESS_DIR_VARIABLE] = str(metrics_directory)
    base = f"http://{settings.host}:{settings.port}"
    typer.secho(
        f"userlink is serving on {base}  (dashboard: {base}/dashboard/, API docs: {base}/docs, "
        f"metrics: {base}/metrics)",
        fg="green",
    )
    typer.echo(f"database  {_shown_url(settings.database_url)}")
    uvicorn.run(
        "userlink.asgi:create_app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        # The platform logs each request itself (USERLINK_ACCESS_LOG), with its route and ref.
        access_log=False,
        log_config=logging_config(settings.effective_log_format.value, settings.log_level),
        log_level=settings.log_level,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


def scale_out_warnings(settings: Settings, workers: int) -> list[str]:
    """What breaks quietly with several worker processes (docs/deployment.md)."""
    if workers < 2:
        return []
    warnings = []
    if settings.uses_sqlite:
        warnings.append(
            f"{workers} workers on SQLite: they queue on its one write lock; use PostgreSQL "
            "(USERLINK_DATABASE_URL) or one worker."
        )
    if settings.rate_limit_enabled and settings.rate_limit_storage_url.startswith("memory"):
        warnings.append(
            f"{workers} workers with in-memory rate limits: each process counts alone, so every "
            f"limit is {workers} times looser; set USERLINK_RATE_LIMIT_STORAGE_URL=redis://…"
        )
    return warnings


def _fresh_metrics_directory(settings: Settings) -> Path:
    """`<data dir>/metrics/<port>`, emptied: the files of a previous run's workers would be
    added to this one's counts."""
    directory = settings.data_dir / "metrics" / str(settings.port)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(mode=0o700, parents=True)
    return directory


def _refuse_busy_port(settings: Settings) -> None:
    """One clear line, before anything is printed as served, when the port is taken."""
    with socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET) as probe:
        # As uvicorn binds: a port left in TIME_WAIT is free, one another program listens on
        # is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.host, settings.port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            typer.secho(
                f"Port {settings.port} on {settings.host} is in use by another program: stop it, "
                "or choose another port with USERLINK_PORT.",
                fg="red",
                err=True,
            )
            raise typer.Exit(1) from None


def default_workers(settings: Settings) -> int:
    """SQLite takes one writer at a time, so more processes only queue on its lock (and would
    each keep their own in-memory rate limits); PostgreSQL gets a process per CPU."""
    if settings.environment is Environment.PRODUCTION and not settings.uses_sqlite:
        return os.cpu_count() or 1
    return 1


DEVELOPMENT_OWNER_EMAIL = "owner@example.com"


def _bootstrap_development_app(settings: Settings) -> None:
    if settings.environment is not Environment.DEVELOPMENT:
        typer.secho("--bootstrap-dev-app only runs with USERLINK_ENVIRONMENT=development", err=True)
        raise typer.Exit(2)
    # Hashed before the transaction: argon2 takes a moment and the transaction need not wait.
    owner_password = stdlib_secrets.token_urlsafe(12)
    owner_password_hash = hash_password(owner_password)
    with unit_of_work() as work:
        if apps.list_apps(work):
            typer.echo(
                "Development app exists already; the first owner's password was shown on first "
                "start. Make API keys in the dashboard."
            )
            return
        organisation = accounts.find_or_create_organisation(work, "Development")
        owner = accounts.create_account(
            work,
            DEVELOPMENT_OWNER_EMAIL,
            password_hash=owner_password_hash,
            must_change_password=True,
        )
        accounts.add_member(work, organisation.id, owner.id, Role.OWNER)
        created = apps.create_app(work, name="Development app", organisation_id=organisation.id)
    base = f"http://{settings.host}:{settings.port}"
    # API keys are made in the dashboard (DESIGN §4), so none is printed here.
    typer.secho("\nFirst start. Shown once, keep them:", bold=True)
    typer.echo(f"  dashboard     {base}/dashboard/")
    typer.echo(f"  email         {DEVELOPMENT_OWNER_EMAIL}")
    typer.echo(f"  password      {owner_password}   (works once: you choose yours at login)")
    typer.echo(f'  app id        {created.app.id}   ("Development app")')
    typer.echo(f"  app secret    {created.secret}   (legacy SDK init)\n")


@apps_cli.command("create")
def apps_create(
    name: Annotated[str, typer.Argument(help="A name for people.")],
    code_lifetime: Annotated[
        int | None,
        typer.Option(
            help="Auth code lifetime, 10-600 s [default: USERLINK_DEFAULT_CODE_LIFETIME_SECONDS]."
        ),
    ] = None,
    linking: Annotated[bool, typer.Option(help="Allow legacy install-id linking.")] = True,
    org: Annotated[
        str | None,
        typer.Option(
            help="Its organisation (created when new). Without one, only operators see the app "
            "in the dashboard."
        ),
    ] = None,
) -> None:
    """Create an app; prints its id and its secret (once)."""
    with unit_of_work() as work:
        organisation = accounts.find_or_create_organisation(work, org) if org else None
        created = apps.create_app(
            work,
            name=name,
            code_lifetime_seconds=code_lifetime,
            linking_enabled=linking,
            organisation_id=organisation.id if organisation else None,
        )
    typer.echo(f"app id      {created.app.id}")
    typer.echo(f"app secret  {created.secret}   (shown once)")
    if organisation is not None:
        typer.echo(f"org         {organisation.name}")


OverlapHours = Annotated[
    int,
    typer.Option(
        min=0,
        max=168,
        help="Hours the replaced credential keeps working (0: it stops at once; at most 7 days).",
    ),
]


@apps_cli.command("rotate-secret")
def apps_rotate_secret(app_id: str, overlap_hours: OverlapHours = 0) -> None:
    """Give an app a new secret; prints it once. The old one works for the overlap."""
    with unit_of_work() as work:
        rotated = apps.rotate_secret(
            work, parse_uuid(app_id), overlap=timedelta(hours=overlap_hours)
        )
    typer.echo(f"app id      {rotated.app.id}")
    typer.echo(f"app secret  {rotated.secret}   (shown once)")
    until = rotated.previous_secret_expires_at
    typer.echo(f"previous    {'works until ' + iso_utc(until) if until else 'stopped working'}")


@apps_cli.command("list")
def apps_list(as_json: JsonOption = False) -> None:
    """List apps."""
    with unit_of_work() as work:
        rows = apps.list_apps(work)
    show(
        [
            {
                "id": str(app.id),
                "name": app.name,
                "code_lifetime_seconds": app.code_lifetime_seconds,
                "linking": app.linking_enabled,
                "remote": app.is_remote_enabled,
                "organisation_id": str(app.organisation_id) if app.organisation_id else None,
                "created_at": iso_utc(app.created_at),
            }
            for app in rows
        ],
        as_json=as_json,
        columns=("id", "name", "code_lifetime_seconds", "linking", "remote"),
    )


@apps_cli.command("set")
def apps_set(
    app_id: str,
    code_lifetime: Annotated[int | None, typer.Option(help="10-600 s.")] = None,
    linking: Annotated[bool | None, typer.Option(help="Legacy linking on or off.")] = None,
    remote: Annotated[bool | None, typer.Option(help="Remote enable or disable the app.")] = None,
    block_external_id: Annotated[
        list[str] | None,
        typer.Option(help="Refuse this external id as a placeholder (repeatable)."),
    ] = None,
    allow_external_id: Annotated[
        list[str] | None,
        typer.Option(help="Accept this external id although the default list refuses it."),
    ] = None,
    unlist_external_id: Annotated[
        list[str] | None,
        typer.Option(help="Take this external id off the app's lists: the default applies."),
    ] = None,
    pkce: Annotated[
        PkcePolicy | None,
        typer.Option(
            help="Codes bound to the redeeming device: off, optional (a code is bound when the "
            "backend sends a challenge) or required (codes without a challenge are refused)."
        ),
    ] = None,
    legacy_registration: Annotated[
        bool | None,
        typer.Option(
            help="Accept legacy SDK inits (app id + secret); turn off once the migration report "
            "shows your users on the code flow."
        ),
    ] = None,
    undo_window: Annotated[
        int | None,
        typer.Option(
            help="Seconds during which a restore or a link may be undone (60 to 7776000; "
            "default 604800, 7 days)."
        ),
    ] = None,
) -> None:
    """Change an app's settings."""
    app_uuid = parse_uuid(app_id)
    with unit_of_work() as work:
        app = apps.update_settings(
            work,
            app_uuid,
            code_lifetime_seconds=code_lifetime,
            linking_enabled=linking,
            is_remote_enabled=remote,
            pkce_policy=pkce,
            legacy_registration_enabled=legacy_registration,
            undo_window_seconds=undo_window,
        )
        if block_external_id or allow_external_id or unlist_external_id:
            app = apps.edit_external_id_lists(
                work,
                app_uuid,
                block=block_external_id or (),
                allow=allow_external_id or (),
                unlist=unlist_external_id or (),
            )
    typer.echo(
        f"{app.id}: code_lifetime={app.code_lifetime_seconds}s linking={app.linking_enabled} "
        f"remote={app.is_remote_enabled} undo_window={app.undo_window_seconds}s"
    )
    typer.echo(f"blocked external ids  {_listed(app.blocked_external_ids)}")
    typer.echo(f"allowed external ids  {_listed(app.allowed_external_ids)}")
    typer.echo(f"pkce policy           {app.pkce_policy.value}")
    typer.echo(f"legacy registration   {'on' if app.legacy_registration_enabled else 'off'}")


def _listed(values: frozenset[str]) -> str:
    return " ".join(repr(value) for value in sorted(values)) or "(none)"


@keys_cli.command("create")
def keys_create(
    app_id: str,
    scope: Annotated[
        list[str],
        typer.Option(help="user.link, user.read, user.delete, user.admin or webhooks.manage."),
    ],
    name: Annotated[str, typer.Option(help="A name for people.")] = "api key",
    days: Annotated[
        int | None,
        typer.Option(
            help="Lifetime in days, 1-365 [default: USERLINK_API_KEY_DEFAULT_LIFETIME_DAYS]."
        ),
    ] = None,
) -> None:
    """Create an API key; prints it once."""
    with unit_of_work() as work:
        created = api_keys.create_key(
            work, parse_uuid(app_id), name=name, scopes=scope, lifetime_days=days
        )
    typer.echo(f"key id   {created.key.id}")
    typer.echo(f"scopes   {' '.join(sorted(created.key.scopes))}")
    typer.echo(f"expires  {iso_utc(created.key.expires_at)}")
    typer.echo(f"API key  {created.token}   (shown once; only a hash is stored)")


@keys_cli.command("list")
def keys_list(app_id: str, as_json: JsonOption = False) -> None:
    """List an app's keys, revoked and expired ones included (the full history)."""
    with unit_of_work() as work:
        keys = api_keys.list_keys(work, parse_uuid(app_id))
        now = work.clock.now()
    show(
        [
            {
                "id": str(key.id),
                "hint": key.hint,
                "state": str(key.state(now)),
                "scopes": sorted(key.scopes),
                "expires_at": iso_utc(key.expires_at),
                "last_used_at": iso_utc(key.last_used_at) if key.last_used_at else None,
                "name": key.name,
            }
            for key in keys
        ],
        as_json=as_json,
        columns=("id", "hint", "state", "scopes", "expires_at", "last_used_at", "name"),
    )


@keys_cli.command("roll")
def keys_roll(app_id: str, key_id: str, overlap_hours: OverlapHours = 0) -> None:
    """Replace a key: a new one with the same name and scopes, printed once; the old one works
    for the overlap."""
    with unit_of_work() as work:
        rolled = api_keys.roll_key(
            work, parse_uuid(app_id), parse_uuid(key_id), overlap=timedelta(hours=overlap_hours)
        )
    created = rolled.replacement
    typer.echo(f"key id   {created.key.id}")
    typer.echo(f"scopes   {' '.join(sorted(created.key.scopes))}")
    typer.echo(f"expires  {iso_utc(created.key.expires_at)}")
    typer.echo(f"API key  {created.token}   (shown once; only a hash is stored)")
    typer.echo(f"old key  {rolled.rolled.id} works until {iso_utc(rolled.rolled.expires_at)}")


@installs_cli.command("disable")
def installs_disable(install_id: str) -> None:
    """Disable an install at once: its credentials stop working and it loses the active role."""
    with unit_of_work() as work:
        install = install_lifecycle.disable(work, parse_uuid(install_id))
    typer.echo(f"{install.id} disabled; user {install.user_id}")


@keys_cli.command("revoke")
def keys_revoke(app_id: str, key_id: str) -> None:
    """Revoke a key at once."""
    with unit_of_work() as work:
        key = api_keys.revoke_key(work, parse_uuid(app_id), parse_uuid(key_id))
    typer.echo(f"{key.id} revoked at {iso_utc(key.revoked_at) if key.revoked_at else '?'}")


def _read_new_password(email: str, *, from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = account_rules.password_problem(password, email)
    if problem:
        typer.secho(problem, fg="red", err=True)
        raise typer.Exit(2)
    return password


@accounts_cli.command("create")
def accounts_create(
    email: Annotated[str, typer.Argument(help="The login; stored lowercased.")],
    org: Annotated[str, typer.Option(help="Organisation (created when new).")],
    role: Annotated[Role, typer.Option(help="owner, developer or viewer.")] = Role.OWNER,
    operator: Annotated[
        bool, typer.Option("--operator", help="A platform operator: every organisation.")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a dashboard account in an organisation; the password is asked for (never an
    argument, which would stay in the shell's history)."""
    normalised = account_rules.normalise_email(email)
    if normalised is None:
        typer.secho(f"{email!r} is not an email address", fg="red", err=True)
        raise typer.Exit(2)
    password_hash = hash_password(_read_new_password(normalised, from_stdin=password_stdin))
    with unit_of_work() as work:
        organisation = accounts.find_or_create_organisation(work, org)
        account = accounts.create_account(
            work, normalised, password_hash=password_hash, is_operator=operator
        )
        accounts.add_member(work, organisation.id, account.id, role)
    operator_note = ", platform operator" if operator else ""
    typer.echo(
        f"{account.id}  {account.email}  {role.value} of {organisation.name!r}{operator_note}"
    )


@accounts_cli.command("list")
def accounts_list(as_json: JsonOption = False) -> None:
    """List organisations and their members."""
    with unit_of_work() as work:
        listing = [
            (organisation, accounts.members_of(work, organisation.id))
            for organisation in accounts.list_organisations(work)
        ]
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "id": str(organisation.id),
                        "name": organisation.name,
                        "members": [
                            {
                                "account_id": str(member.account_id),
                                "email": member.email,
                                "role": member.role.value,
                                "totp": member.totp_enabled,
                            }
                            for member in members
                        ],
                    }
                    for organisation, members in listing
                ],
                indent=2,
            )
        )
        return
    show(
        [
            {
                "organisation": organisation.name,
                "account_id": str(member.account_id),
                "email": member.email,
                "role": member.role.value,
                "totp": member.totp_enabled,
            }
            for organisation, members in listing
            for member in members
        ],
        as_json=False,
        columns=("organisation", "account_id", "email", "role", "totp"),
    )


# Webhooks and their worker live in their own module (it imports this one's helpers).
from userlink.cli_webhooks import webhooks_cli, worker_command  # noqa: E402

cli.add_typer(webhooks_cli, name="webhooks")
cli.command("worker")(worker_command)


def main() -> None:
    cli()
