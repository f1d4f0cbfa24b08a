"""Issue 7, finding 12: edge values on the command line ended in tracebacks.

``tick --now 9999-12-31…``, ``plan`` over year 1 or 9999, ``demo --start 9999-12-25`` and ``config
import /dev/zero`` (see test_config_bounds) are now one ``Error:`` line with exit status 2, before
anything runs.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli.main import cli
from tests.conftest import database_env
from tests.support.cli import refused
from tests.support.fakeslack import FakeSlack

EDGES = {
    "tick-now-9999": (
        ["tick", "--now", "9999-12-31T23:59+00:00"],
        'Error: --now "9999-12-31T23:59+00:00" is out of range (allowed: 2000-01-01 to 2100-12-31)',
    ),
    "tick-now-year-1": (
        ["tick", "--now", "0001-01-01T00:00+00:00"],
        'Error: --now "0001-01-01T00:00+00:00" is out of range (allowed: 2000-01-01 to 2100-12-31)',
    ),
    "plan-year-1": (
        ["plan", "--from", "0001-01-01", "--to", "0001-01-07"],
        "Error: Invalid value for '--from': \"0001-01-01\" is out of range (allowed: 2000-01-01 to 2100-12-31)",
    ),
    "plan-year-9999": (
        ["plan", "--from", "9999-12-25", "--to", "9999-12-31"],
        "Error: Invalid value for '--from': \"9999-12-25\" is out of range (allowed: 2000-01-01 to 2100-12-31)",
    ),
    "plan-a-century": (
        ["plan", "--from", "2000-01-01", "--to", "2100-12-31"],
        "Error: --from 2000-01-01 --to 2100-12-31 spans 36890 days (allowed: at most 1830 days, five years)",
    ),
    "calendar-year-9999": (
        ["calendar", "--from", "2027-01-01", "--to", "9999-12-31"],
        "Error: Invalid value for '--to': \"9999-12-31\" is out of range (allowed: 2000-01-01 to 2100-12-31)",
    ),
    "demo-start-9999": (
        ["demo", "--start", "9999-12-25"],
        "Error: Invalid value for '--start': \"9999-12-25\" is out of range (allowed: 2000-01-01 to 2100-12-31)",
    ),
}


@pytest.mark.parametrize("case", list(EDGES))
def test_an_edge_value_is_one_error_line_with_status_2(case: str, run) -> None:
    args, expected = EDGES[case]

    line = refused(run(*args))

    assert line.startswith(expected), line


def test_plan_over_five_years_still_runs(run, engine) -> None:
    result = run("plan", "--from", "2027-01-01", "--to", "2031-12-31", "--format", "json")

    assert result.exit_code == 0, result.stderr


def test_tick_at_the_last_allowed_instant_runs_without_a_traceback(database, engine) -> None:
    with FakeSlack() as fake:
        env = {**database_env(database), "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.api_url}
        result = CliRunner().invoke(cli, ["tick", "--now", "2100-12-31T12:00+00:00"], env=env)

    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
