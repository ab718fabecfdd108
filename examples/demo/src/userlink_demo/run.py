"""`python -m userlink_demo` (`make demo`): start everything, play the story, print the report,
stop everything; exit 0 only if every step behaved as expected."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.markup import escape

from .services import DemoSetupError, running_environment
from .story import StepResult, StoryResult, run_story

__all__ = ["main"]

TITLE_WIDTH = 64


def _postgres_url() -> str | None:
    """USERLINK_DATABASE_URL when it names PostgreSQL; otherwise the demo uses its own SQLite."""
    url = os.environ.get("USERLINK_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _print_step(console: Console, step: StepResult) -> None:
    """Two lines: the mark, the title and the time; then what was seen (fits 80 columns)."""
    mark = "[green]✓[/]" if step.ok else "[bold red]✗[/]"
    console.print(f" {mark} {escape(step.title.ljust(TITLE_WIDTH))} [dim]{step.seconds:5.2f} s[/]")
    console.print(f"     [{'dim' if step.ok else 'red'}]{escape(step.detail)}[/]")


def _summary(console: Console, result: StoryResult, seconds: float) -> None:
    total = len(result.steps)
    if result.ok:
        console.print(
            f"\n[bold green]✓ all {total} steps behaved as expected[/] in {seconds:.1f} s"
        )
        return
    failed = [step for step in result.steps if not step.ok]
    console.print(
        f"\n[bold red]✗ {len(failed)} of {total} steps did not behave as expected[/] "
        f"({seconds:.1f} s):"
    )
    for step in failed:
        console.print(f"   [red]{escape(step.title)}[/]: {escape(step.detail)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m userlink_demo",
        description="Start the platform and the customer backend, play several devices, report.",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work directory (databases, logs, devices)"
    )
    arguments = parser.parse_args(argv)
    console = Console(highlight=False)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the processes too
    workdir = Path(tempfile.mkdtemp(prefix="userlink-demo-"))
    started = time.monotonic()
    database_url = _postgres_url()
    keep = arguments.keep
    console.print("[bold]userlink demo[/]: platform + customer backend + example device app")
    console.print(
        f"[dim]· database: {'PostgreSQL (USERLINK_DATABASE_URL)' if database_url else 'SQLite'}"
        f", work directory {workdir}[/]"
    )
    try:
        with running_environment(
            workdir,
            database_url=database_url,
            progress=lambda message: console.print(f"[dim]· {escape(message)}[/]"),
        ) as env:
            result = run_story(
                env,
                on_section=lambda title: console.print(f"\n[bold cyan]{escape(title)}[/]"),
                on_step=lambda step: _print_step(console, step),
            )
        console.print("[dim]· every process stopped[/]")
        keep = keep or not result.ok  # the logs say why
    except DemoSetupError as error:
        keep = True
        console.print(f"\n[bold red]✗ the demo could not start:[/] {escape(str(error))}")
        return 1
    except KeyboardInterrupt:
        keep = True
        console.print("\n[yellow]interrupted: every process the demo started was stopped[/]")
        return 130
    finally:
        if keep:
            console.print(f"[dim]· logs and devices kept in {workdir}[/]")
        elif workdir.exists():
            shutil.rmtree(workdir, ignore_errors=True)
    _summary(console, result, time.monotonic() - started)
    return 0 if result.ok else 1
