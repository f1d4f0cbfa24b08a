"""Assertions on command-line results."""

from __future__ import annotations

from click.testing import Result


def refused(result: Result) -> str:
    """The one-line message of a refused command (exit status 2, nothing on stdout)."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]
