"""Running ``committee-bot demo`` as a user does: the real command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

LIMIT = 30.0  # seconds: the budget for the whole demo


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    tmp: Path  # its TMPDIR


def demo(*args: str, tmp: Path, env: dict[str, str] | None = None) -> Run:
    environment = {**os.environ, "TMPDIR": str(tmp), "COLUMNS": "100", **(env or {})}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from bot.cli.main import main; main()", "demo", *args],
        check=False,
        capture_output=True,
        text=True,
        env=environment,
        timeout=2 * LIMIT,
    )
    return Run(done.returncode, done.stdout, done.stderr, time.perf_counter() - started, tmp)
