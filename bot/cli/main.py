"""The ``committee-bot`` command line (the commands the README documents).

Every command is a function under the ``cli`` group below; adding one is a decorated function that
opens the database with ``open_database(ctx)``. Bad input of any kind ends the command with one line
on stderr and exit status 2, before anything is written.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import click

from bot.cli.calendar_commands import actions, calendar_command, plan_command
from bot.cli.common import (
    DATE,
    FORMATS,
    CliError,
    OneLineErrors,
    emit_json,
    instant,
    open_database,
)
from bot.cli.config_commands import config
from bot.cli.exchange_commands import actions_export, actions_import, decisions, minutes
from bot.cli.feed_commands import feeds
from storage.db import current_revision, session_scope, upgrade


@click.group(
    cls=OneLineErrors,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="committee-bot", prog_name="committee-bot", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error, and debug logs.")
def cli(debug: bool) -> None:
    """committee-bot runs the logistics of governance committees in Slack: calendars, agenda
    requests, the deck and minutes deadlines, action items and a weekly digest.

    The database comes from DATABASE_URL (default: committee-bot.db, a SQLite file in the working
    directory; postgresql://USER:PASSWORD@HOST/DATABASE or postgres://... for PostgreSQL). Start
    with `committee-bot db upgrade`, then declare committees with `committee-bot config import
    FILE.yaml`. The README's "Operations" section lists every environment variable and exit status.

    \b
    Exit status: 0 done; 1 runtime failure (database or Slack unreachable, Slack refused the
    token, every send of a tick failed for one reason); 2 bad usage or configuration.
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
    from bot.run.startup import require_bot_token
    from bot.slack.client import make_client
    from bot.slack.settings import from_env

    settings = from_env()
    require_bot_token(settings.bot_token)
    return make_client(settings)


def _debug(ctx: click.Context) -> bool:
    return bool(ctx.find_root().params.get("debug"))


# ``tick --now`` and ``config import --now`` read an instant the same way.
_instant = instant


@cli.command("tick")
@click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="The instant to dispatch at (default: now), e.g. 2027-01-05T09:00+01:00.",
)
@click.pass_context
def tick_command(ctx: click.Context, now_text: str | None) -> int:
    """Plan and send everything due at that instant, once, then exit (cron-style deployments).

    Safe to run while other ticks or `committee-bot scheduler` processes run: each notification is
    claimed by one process and sent once. Prints one summary line. Exits 1 when Slack refused the
    bot's token, or when nothing could be sent and every send failed for one reason (then one
    `Error:` line says which); 0 otherwise, failures of single messages included (they are
    recorded, reported to the workspace admins and listed by `committee-bot status`).
    """
    import logging

    from bot.delivery.tick import tick
    from bot.run import logs

    # Warnings only (a failed send, with its key and committee): cron mails what a job prints.
    logs.configure(debug=_debug(ctx), level=logging.WARNING)
    now = _instant(now_text)
    engine = open_database(ctx)
    summary = tick(engine, _slack_client(), now=now)
    click.echo(summary.line(now))
    problem = summary.systemic_problem()
    if problem is not None:
        click.echo(f"Error: {problem}", err=True)
        return 1
    return 0


@cli.command(
    "status", short_help="Last tick, what is due next, failed messages, stale edits, unreachable channels."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def status_command(ctx: click.Context, fmt: str) -> None:
    """Show whether the dispatcher runs and what needs an operator, from the database (read-only).

    \b
    last tick   when a tick last ended (any process) and how long ago (lag);
    next        the notifications due next;
    failed      notifications Slack refused for good (the admins got a message with Retry);
    stale edits posted messages whose last edit failed (retried at each tick);
    unreachable channels  committees whose channel refused the last message.

    `--format json` prints {last_tick, lag_seconds, next: [{kind, at, committee, to}], failed:
    [{key, kind, committee, to, error, at}], stale_edits: [...], unreachable_channels:
    [{committee, channel, error}]}. Exits 0 whatever it finds (a monitor reads the JSON).
    """
    from bot.delivery.status import read_status, status_lines

    engine = open_database(ctx)
    with session_scope(engine) as session:
        status = read_status(session, now=datetime.now(UTC))
    if fmt == "json":
        emit_json(status.as_json())
        return
    for line in status_lines(status):
        click.echo(line)


@cli.command("scheduler")
@click.pass_context
def scheduler_command(ctx: click.Context) -> None:
    """Run only the scheduled jobs: a worker that sends due notifications every 30 seconds.

    Checks the bot token with Slack (auth.test) first. Stops cleanly on SIGTERM or Ctrl-C (the
    message being sent is finished, the others are left for the next run) and exits 0. Several
    workers may run at once on PostgreSQL. METRICS_PORT serves /metrics from this process.
    """
    from bot.delivery.metrics import start_worker_metrics
    from bot.delivery.scheduler import run_worker
    from bot.run import logs
    from bot.run.startup import check_bot_token

    logs.configure(debug=_debug(ctx))
    engine = open_database(ctx)
    client = _slack_client()
    check_bot_token(client)
    start_worker_metrics(engine)
    run_worker(engine, client)


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
@click.pass_context
def serve(ctx: click.Context, http: bool, port: int | None, no_scheduler: bool) -> None:
    """Run the Slack app until stopped: Socket Mode when SLACK_APP_TOKEN is set and --http is not
    given, else HTTP (gunicorn) on PORT with POST /slack/events, GET /healthz, GET /metrics and
    GET /calendar/<feed-token>.ics. The scheduler runs in the same process unless --no-scheduler.

    Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; HTTP needs SLACK_BOT_TOKEN and
    SLACK_SIGNING_SECRET. Checks the bot token with Slack (auth.test) and refuses an out-of-date
    database schema before it starts. SIGTERM: stops taking requests, finishes the work already
    acknowledged (up to 25 s), exits 0.
    """
    from bot.run.serve import serve as run
    from bot.slack.settings import from_env

    run(from_env(), http=http, port=port, scheduler=not no_scheduler, debug=_debug(ctx))


cli.add_command(config)
cli.add_command(feeds)
cli.add_command(calendar_command)
cli.add_command(plan_command)
cli.add_command(actions)
actions.add_command(actions_export)
actions.add_command(actions_import)
cli.add_command(decisions)
cli.add_command(minutes)


def main() -> None:
    """Console entry point: ``committee-bot``."""
    cli(prog_name="committee-bot")
