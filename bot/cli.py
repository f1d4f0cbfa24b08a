"""The ``committee-bot`` command line (SPEC §8).

Every command is a function under the ``cli`` group below; adding one is a decorated function that
opens the database with ``open_database(ctx)``. Bad input of any kind ends the command with one line
on stderr and exit status 2, before anything is written.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import ConfigError, ImportResult, export_config, import_config, load_config, preset_path
from bot.timeline import Planned
from storage.committees import UnknownCommittee, get_workspace, list_committees
from storage.db import SchemaOutOfDate, check_schema, current_revision, make_engine, session_scope, upgrade
from storage.models import ActionStatus, Committee

UTC = timezone.utc
FORMATS = ("text", "json")
STATUSES = tuple(status.value for status in ActionStatus)


class CliError(click.ClickException):
    """Bad input or a refused operation: one line on stderr, exit status 2."""

    exit_code = 2


class _Group(click.Group):
    """A click group whose errors, usage errors included, are one line on stderr with exit status 2."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            hint = f" (see `{error.ctx.command_path} --help`)" if error.ctx else ""
            click.echo(f"Error: {_one_line(error.format_message())}{hint}", err=True)
            sys.exit(2)
        except click.ClickException as error:
            click.echo(f"Error: {_one_line(error.format_message())}", err=True)
            sys.exit(2)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _DateType(click.ParamType):
    """A calendar day written ``YYYY-MM-DD``."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f'"{value}" is not a date (write YYYY-MM-DD, e.g. 2027-01-31)', param, ctx)


DATE = _DateType()


def open_database(ctx: click.Context, *, check: bool = True) -> Engine:
    """The engine of ``DATABASE_URL``/``DATABASE_SCHEMA``, disposed when the command ends.

    With ``check`` (every command but ``db upgrade``), a database behind the code's migrations is
    refused with the command that fixes it.
    """
    engine = make_engine()
    ctx.call_on_close(engine.dispose)
    if check:
        try:
            check_schema(engine)
        except SchemaOutOfDate as error:
            raise CliError(str(error)) from None
    return engine


def _window(first: date, last: date) -> None:
    if last < first:
        raise CliError(
            f"--to {last} is before --from {first} (--to is the last day of the window, on or after --from)"
        )


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


@click.group(
    cls=_Group,
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


# --- config ----------------------------------------------------------------------------------


@cli.group(short_help="Import or export workspace settings and committees (YAML).")
def config() -> None:
    """Declare the workspace settings and the committees as code (YAML).

    \b
    A file looks like this (SPEC §8):
      timezone: Europe/Paris
      locale: fr
      holidays: FR
      committees:
        - key: production
          name: Comité de production
          kind: production          # production, qualite, pilotage or strategique
          channel: C0PROD           # Slack channel id
          cadence: weekly           # biweekly, monthly, quarterly, semiannual, annual,
                                    # monthly-business-day:N, or an RFC 5545 RRULE
          first: 2027-01-05T10:00   # local time of the first meeting
          duration: 60              # minutes
          chair: U0CHAIR
          secretary: U0SEC
          deck_owner: U0DECK
          members: [U0A, U0B]
          holiday_policy: next_business_day

    holidays takes a country (FR) or a country with a subdivision (FR-57 Moselle, GB-ENG England).
    Optional workspace keys: workdays (mon,tue,...), admins (user ids), closures (closure days,
    e.g. [2027-12-24]). Optional committee keys:
    timezone, locale, holidays, workdays (default: the workspace's), requires_approval (minutes
    approved by the chair; default yes for pilotage and strategique), timeline (overrides of the
    SPEC §4 defaults, e.g. {deck_due: {business_days: 3}}), agenda_template (default: the kind),
    active (false retires the committee).
    """


@config.command(
    "import",
    epilog="\b\nExamples:\n  committee-bot config import committees.yaml\n"
    "  committee-bot config import --preset contact-centre",
)
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--preset",
    metavar="NAME",
    help="Import a bundled preset instead of a file: contact-centre (French) or contact-centre-en.",
)
@click.option("--dry-run", is_flag=True, help="Validate and report what would change, without writing.")
@click.pass_context
def config_import(ctx: click.Context, file: str | None, preset: str | None, dry_run: bool) -> None:
    """Create or update the workspace settings and committees declared in FILE.yaml.

    Committees are matched by key: importing the same file again changes nothing, and committees
    absent from the file are left as they are (declare one with `active: false` to retire it).
    The whole file is checked first; one problem and nothing is written.
    """
    from bot.cadence_check import import_warnings

    engine = open_database(ctx)
    if (file is None) == (preset is None):
        raise CliError(
            "give either FILE.yaml or --preset NAME (e.g. committee-bot config import committees.yaml)"
        )
    try:
        if preset is not None:
            path = preset_path(preset)
            doc = load_config(path, source=path.name)
        else:
            assert file is not None
            doc = load_config(file)
    except ConfigError as error:
        raise CliError(str(error)) from None
    try:
        with session_scope(engine) as session:
            now = datetime.now(UTC)
            result = import_config(session, doc, now=now)
            warnings = import_warnings(session, keys=[spec.key for spec in doc.committees], now=now)
            if dry_run:
                session.rollback()
            else:
                _replan_changed(session, result, now=now)
    except ConfigError as error:
        raise CliError(str(error)) from None
    prefix = "dry run, nothing written: " if dry_run else ""
    click.echo(prefix + result.summary(doc.source))
    for warning in warnings:
        click.echo(f"Warning: {doc.source}: {warning}", err=True)


def _replan_changed(session: Session, result: ImportResult, *, now: datetime) -> None:
    """Re-plan the notifications of committees whose settings changed, so a new cadence, time
    zone or chair takes effect at once rather than at the dispatcher's next periodic check.
    New committees are planned by the dispatcher's first pass."""
    from bot import dispatch  # the CLI's other commands need not load the dispatcher

    keys = None if result.workspace_changed else set(result.updated)
    for committee in list_committees(session, active=None):
        if keys is None or committee.key in keys:
            if committee.key not in result.created:
                dispatch.replan_committee(session, committee_id=committee.id, now=now)


@config.command("export")
@click.pass_context
def config_export(ctx: click.Context) -> None:
    """Print the workspace settings and every committee as YAML that `config import` reads back.

    Feed tokens are secrets and are not exported.
    """
    engine = open_database(ctx)
    with session_scope(engine) as session:
        text = export_config(session)
    click.echo(text, nl=False)


# --- calendar and plan -----------------------------------------------------------------------

_window_options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
    click.option(
        "--from", "first", type=DATE, required=True, help="First day (YYYY-MM-DD), in each committee's zone."
    ),
    click.option("--to", "last", type=DATE, required=True, help="Last day, included (YYYY-MM-DD)."),
    click.option("--committee", "committee_key", metavar="KEY", help="Only this committee (its key)."),
]


def window_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_window_options):
        function = option(function)
    return function


@cli.command(
    "calendar",
    short_help="List meetings in a window of days (text, JSON or iCalendar).",
    epilog="\b\nExamples:\n  committee-bot calendar --from 2027-01-01 --to 2027-03-31 --committee production\n"
    "  committee-bot calendar --from 2027-01-01 --to 2027-12-31 --format ics > committees.ics",
)
@window_options
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json", "ics")), default="text", show_default=True
)
@click.pass_context
def calendar_command(
    ctx: click.Context, first: date, last: date, committee_key: str | None, fmt: str
) -> None:
    """List the meetings of every active committee from --from to --to (both days included).

    Times are shown in each committee's time zone. `--format json` prints a list of
    {committee, start, end, status}; `--format ics` prints an iCalendar file with the meetings and
    their deck and minutes deadlines.
    """
    from bot.ics import calendars_ics
    from bot.planning import calendar_days

    engine = open_database(ctx)
    _window(first, last)
    try:
        with session_scope(engine) as session:
            entries = calendar_days(
                session, first=first, last=last, committee_key=committee_key, with_deadlines=fmt == "ics"
            )
    except UnknownCommittee as error:
        raise CliError(str(error.args[0])) from None

    if fmt == "ics":
        name = entries[0].committee.name if len(entries) == 1 else "committee-bot"
        click.echo(calendars_ics(entries, now=datetime.now(UTC), name=name), nl=False)  # bytes: written as is
        return
    rows = sorted(
        ((occurrence, entry.committee) for entry in entries for occurrence in entry.occurrences),
        key=lambda row: (row[0].start, row[1].key),
    )
    if fmt == "json":
        _emit_json(
            [
                {
                    "committee": committee.key,
                    "start": _local(occurrence.start, committee.timezone).isoformat(),
                    "end": _local(occurrence.end, committee.timezone).isoformat(),
                    "status": occurrence.status,
                    "name": committee.name,
                    "timezone": committee.timezone,
                }
                for occurrence, committee in rows
            ]
        )
        return
    if not rows:
        click.echo(f"No meetings from {first} to {last}.")
        return
    for occurrence, committee in rows:
        start = _local(occurrence.start, committee.timezone)
        end = _local(occurrence.end, committee.timezone)
        click.echo(
            f"{start:%Y-%m-%d %a %H:%M}–{end:%H:%M} {committee.timezone:<14} "
            f"{committee.key:<14} {occurrence.status:<10} {committee.name}"
        )
    click.echo(f"{len(rows)} meeting{'s' if len(rows) != 1 else ''}.")


@cli.command(
    "plan",
    short_help="List the notifications the bot will send in a window of days.",
    epilog="\b\nExample:\n  committee-bot plan --from 2027-03-22 --to 2027-03-26 --format json",
)
@window_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def plan_command(ctx: click.Context, first: date, last: date, committee_key: str | None, fmt: str) -> None:
    """List every notification the bot will send from --from to --to (both days included).

    Meeting timelines, action chases and weekly digests, in the order they go out, times in each
    committee's zone. Messages that depend on state (a reminder for minutes already submitted)
    are listed and re-checked when their time comes. `--format json` prints a list of
    {kind, at, committee, meeting, to}.
    """
    from bot.planning import plan_days

    engine = open_database(ctx)
    _window(first, last)
    try:
        with session_scope(engine) as session:
            planned = plan_days(session, first=first, last=last, committee_key=committee_key)
            zones = {committee.key: committee.timezone for committee in list_committees(session, active=None)}
            default_zone = get_workspace(session).timezone
    except UnknownCommittee as error:
        raise CliError(str(error.args[0])) from None

    def zone(item: Planned) -> str:
        return zones.get(item.committee_key or "", default_zone)

    if fmt == "json":
        _emit_json([_planned_json(item, zone(item)) for item in planned])
        return
    if not planned:
        click.echo(f"Nothing to send from {first} to {last}.")
        return
    for item in planned:
        at = _local(item.at, zone(item))
        meeting = (
            f"  meeting {_local(item.meeting_start, zone(item)):%Y-%m-%d %H:%M}" if item.meeting_start else ""
        )
        action = f"  action A{item.action_id}" if item.action_id is not None else ""
        click.echo(
            f"{at:%Y-%m-%d %a %H:%M %z}  {item.kind:<18} {item.committee_key or '-':<14} → {item.to}{meeting}{action}"
        )
    click.echo(f"{len(planned)} notification{'s' if len(planned) != 1 else ''}.")


def _planned_json(item: Planned, tz: str) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "at": _local(item.at, tz).isoformat(),
        "committee": item.committee_key,
        "meeting": _local(item.meeting_start, tz).isoformat() if item.meeting_start else None,
        "to": item.to,
        "action": f"A{item.action_id}" if item.action_id is not None else None,
        "key": item.key,
    }


# --- actions ---------------------------------------------------------------------------------


@cli.group(short_help="The action tracker (list, export, import).")
def actions() -> None:
    """The action tracker."""


@actions.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only items in this status (default: all).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def actions_list(ctx: click.Context, status: str | None, fmt: str) -> None:
    """List action items by due date: id, due date, status, priority, owner, committee, title.

    `--format json` prints a list of {id, title, owner, due, status, priority, committee}.
    """
    from sqlmodel import select

    from storage.actions import list_actions

    engine = open_database(ctx)
    with session_scope(engine) as session:
        items = list_actions(session, status=status)
        keys = {committee.id: committee.key for committee in session.exec(select(Committee)).all()}
    rows = [
        {
            "id": item.public_id,
            "title": item.title,
            "owner": item.owner,
            "due": item.due.isoformat(),
            "status": item.status,
            "priority": item.priority,
            "committee": keys.get(item.committee_id) if item.committee_id is not None else None,
            "progress": item.progress,
            "snoozed_until": item.snoozed_until.isoformat() if item.snoozed_until else None,
        }
        for item in items
    ]
    if fmt == "json":
        _emit_json(rows)
        return
    if not rows:
        click.echo("No action items" + (f" with status {status}." if status else "."))
        return
    for row in rows:
        click.echo(
            f"{row['id']:<6} {row['due']}  {row['status']:<11} {row['priority']:<6} {row['owner']:<12} "
            f"{row['committee'] or '-':<14} {row['title']}"
        )
    click.echo(f"{len(rows)} action item{'s' if len(rows) != 1 else ''}.")


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

    from bot.demo import DemoError, Options, run_demo

    options = Options(
        locale=locale, weeks=weeks, start=start, db=Path(db_path) if db_path else None, keep=keep, quiet=quiet
    )
    try:
        return run_demo(options).exit_code
    except DemoError as error:
        raise CliError(str(error)) from None


# --- dispatcher (owned by the dispatch module) --------------------------------------------------


def _slack_client() -> Any:
    from bot.settings import from_env
    from bot.slack_api import make_client

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
    from bot.dispatch import tick

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

    from bot.scheduler import run_worker

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
    from bot.serve import SettingsError
    from bot.serve import serve as run
    from bot.settings import from_env

    try:
        run(from_env(), http=http, port=port, scheduler=not no_scheduler)
    except (SchemaOutOfDate, SettingsError) as error:
        raise CliError(str(error)) from None


# --- exchange with the other company (SPEC §11): actions export/import, decisions, minutes -------
from bot.cli_exchange import register as _register_exchange  # noqa: E402 (needs the groups above)

_register_exchange(cli, actions)


def main() -> None:
    """Console entry point: ``committee-bot``."""
    cli(prog_name="committee-bot")
