"""Where the tests find the repository and the installed console script."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
COMMITTEE_BOT = str(Path(sys.executable).parent / "committee-bot")  # the console script of this venv
