"""The ``committee-bot`` command line (SPEC §8).

Every command is a function under the ``cli`` group below; adding one is a decorated function that
opens the database with ``open_database(ctx)``. Bad input of any kind ends the command with one line
on stderr and exit status 2, before anything is written.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click

from bot.cli.calendar_commands import actions, calendar_command, plan_command
from bot.cli.common import DATE, UTC, CliError, OneLineErrors, open_database
from bot.cli.config_commands import config
from storage.db import SchemaOutOfDate, current_revision, upgrade


@click.group(
    cls=OneLineErrors,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
def cli() -> None:
    """committee-bot runs the logistics of governance committees in Slack: calendars, agenda
    requests, the deck and minutes deadlines, action items and a weekly digest.

    The database comes from DATABASE_URL (default: committee-bot.db, a SQLite file in the working
    directory; postgresql+psycopg://... for PostgreSQL). Start with `committee-bot db upgrade`, then
    declare committees with `committee-bot config import FILE.yaml`.
    """


# --- db --------------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply the schema migrations this release needs (safe to run again)."""
    engine = open_database(ctx, check=False)
    upgrade(engine)
    where = engine.url.render_as_string(hide_password=True)
    click.echo(f"database {where} is at schema revision {current_revision(engine)}")


# --- demo ------------------------------------------------------------------------------------


@cli.command("demo", short_help="The whole product offline, on a simulated clock: start here.")
@click.option(
    "--locale",
    type=click.Choice(("fr", "en")),
    default="fr",
    show_default=True,
    help="The preset and the language: contact-centre (French) or contact-centre-en.",
)
@click.option(
    "--weeks", type=click.IntRange(1, 26), default=6, show_default=True, help="How many weeks to simulate."
)
@click.option(
    "--start",
    type=DATE,
    help="First simulated day (YYYY-MM-DD); default: the Monday a week before the first meeting.",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=str),
    help="SQLite file to create and keep (default: a temporary file, removed afterwards).",
)
@click.option("--keep", is_flag=True, help="Keep the temporary database and print its path.")
@click.option("--quiet", is_flag=True, help="Print only the governance health and delivery totals.")
def demo_command(
    locale: str, weeks: int, start: date | None, db_path: str | None, keep: bool, quiet: bool
) -> int:
    """Run the whole product offline, on a simulated clock, and print what the bot would post.

    A fresh SQLite database gets the contact-centre preset; scripted participants propose topics,
    share decks (one late), submit minutes (one late), add, close, snooze and neglect actions; the
    real dispatcher sends every reminder through an offline Slack client. Nothing reaches Slack and
    DATABASE_URL is not used. Ends with each committee's governance health and the delivery totals.
    """
    from pathlib import Path

    from bot.demo.cast import DemoError, Options
    from bot.demo.simulate import run_demo

    options = Options(
        locale=locale, weeks=weeks, start=start, db=Path(db_path) if db_path else None, keep=keep, quiet=quiet
    )
    try:
        return run_demo(options).exit_code
    except DemoError as error:
        raise CliError(str(error)) from None


# --- delivery (bot.delivery) -----------------------------------------------------------------


def _slack_client() -> Any:
    from bot.slack.client import make_client
    from bot.slack.settings import from_env

    settings = from_env()
    if not settings.bot_token:
        raise CliError("SLACK_BOT_TOKEN is not set: export the bot token (xoxb-...) of the Slack app")
    return make_client(settings)


def _instant(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(
            f'--now "{value}" is not an ISO 8601 instant (write e.g. 2027-01-05T09:00+01:00 or 2027-01-05T08:00Z)'
        ) from None
    if moment.tzinfo is None:
        raise CliError(f'--now "{value}" has no UTC offset (write e.g. {value}+01:00 or {value}Z)')
    return moment.astimezone(UTC)


@cli.command("tick")
@click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="The instant to dispatch at (default: now), e.g. 2027-01-05T09:00+01:00.",
)
@click.pass_context
def tick_command(ctx: click.Context, now_text: str | None) -> None:
    """Plan and send everything due at that instant, once, then exit (cron-style deployments).

    Safe to run while other ticks or `committee-bot scheduler` processes run: each notification is
    claimed by one process and sent once. Prints one summary line.
    """
    from bot.delivery.tick import tick

    now = _instant(now_text)
    engine = open_database(ctx)
    summary = tick(engine, _slack_client(), now=now)
    click.echo(summary.line(now))


@cli.command("scheduler")
@click.pass_context
def scheduler_command(ctx: click.Context) -> None:
    """Run only the scheduled jobs: a worker that sends due notifications every 30 seconds.

    Stops cleanly on SIGTERM or Ctrl-C (the message being sent is finished, the others are left
    for the next run). Several workers may run at once on PostgreSQL.
    """
    import logging

    from bot.delivery.scheduler import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = open_database(ctx)
    run_worker(engine, _slack_client())


# --- serve ---------------------------------------------------------------------------------


@cli.command(short_help="Run the Slack app (Socket Mode or HTTP).")
@click.option("--http", "http", is_flag=True, help="Serve HTTP even when SLACK_APP_TOKEN is set.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="HTTP port (default: PORT, else 3000)."
)
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Leave the scheduled jobs to another process (`committee-bot scheduler`).",
)
def serve(http: bool, port: int | None, no_scheduler: bool) -> None:
    """Run the Slack app until stopped: Socket Mode when SLACK_APP_TOKEN is set and --http is not
    given, else HTTP (gunicorn) on PORT with POST /slack/events, GET /healthz and
    GET /calendar/<feed-token>.ics. The scheduler runs in the same process unless --no-scheduler.
    Needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET; refuses an out-of-date database schema.
    """
    from bot.run.serve import SettingsError
    from bot.run.serve import serve as run
    from bot.slack.settings import from_env

    try:
        run(from_env(), http=http, port=port, scheduler=not no_scheduler)
    except (SchemaOutOfDate, SettingsError) as error:
        raise CliError(str(error)) from None


cli.add_command(config)
cli.add_command(calendar_command)
cli.add_command(plan_command)
cli.add_command(actions)


def main() -> None:
    """Console entry point: ``committee-bot``."""
    cli(prog_name="committee-bot")
