"""Command-line exchange with the other company (SPEC §8, §11): ``actions export``, ``actions import``,
``decisions export`` and ``minutes export``. Registered on the ``committee-bot`` group by
``bot.cli.main``; the work is done by ``bot.action_items.tracker_export``,
``bot.action_items.tracker_import`` and ``bot.meetings.document``.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import click
from sqlalchemy.engine import Engine

from bot.action_items.tracker_export import (
    decision_rows,
    decisions_csv,
    decisions_xlsx,
    export_locale,
    find_committee,
    tracker_csv,
    tracker_rows,
    tracker_xlsx,
)
from bot.action_items.tracker_files import read_table
from bot.action_items.tracker_import import (
    EmailLookup,
    ImportRefused,
    apply_import,
    plan_import,
    slack_email_lookup,
)
from bot.cli.common import DATE, STATUSES, CliError, open_database
from bot.meetings.document import (
    MeetingNotFound,
    find_meeting,
    minutes_docx,
    minutes_markdown,
    minutes_record,
)
from bot.planning.outbox import replan_action
from bot.slack.client import make_client
from bot.slack.settings import from_env
from storage.committees import UnknownCommittee
from storage.db import session_scope

FILE_FORMATS = ("csv", "xlsx")


def _write(data: str | bytes, output: str | None, *, binary: bool) -> None:
    """Write to ``output``, or to stdout for text; a binary format needs ``--output``."""
    if output is None:
        if binary:
            raise CliError("an xlsx or docx file cannot go to the terminal: add --output FILE")
        click.echo(data, nl=False)
        return
    path = Path(output)
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            # A byte-order mark lets Excel read the accents of a CSV file right.
            path.write_text(data, encoding="utf-8-sig" if path.suffix.lower() == ".csv" else "utf-8")
    except OSError as error:
        raise CliError(f"cannot write {output}: {error.strerror or error}") from None
    click.echo(f"wrote {output}", err=True)


_output = click.option(
    "--output", "-o", metavar="FILE", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout."
)
_committee = click.option(
    "--committee", "committee_key", metavar="KEY", help="Only this committee (its key)."
)


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FILE_FORMATS), required=True)
@_committee
@click.option("--status", type=click.Choice(STATUSES), help="Only items in this status (default: all).")
@_output
@click.pass_context
def actions_export(
    ctx: click.Context, fmt: str, committee_key: str | None, status: str | None, output: str | None
) -> None:
    """The action tracker as a file for the other company: CSV (stdout without --output) or Excel.

    \b
    Columns: id, committee, title, owner, owner_id, priority, due, status, progress, updated,
    source, with headers in the committee's language (else the workspace's). `actions import`
    reads the file back, in French or English.
    """
    engine = open_database(ctx)
    now = datetime.now(UTC)
    try:
        with session_scope(engine) as session:
            committee = find_committee(session, committee_key)
            locale = export_locale(session, committee)
            rows = tracker_rows(session, committee=committee, status=status, now=now)
    except UnknownCommittee as error:
        raise CliError(str(error.args[0])) from None
    if fmt == "csv":
        _write(tracker_csv(rows, locale=locale), output, binary=False)
    else:
        _write(tracker_xlsx(rows, locale=locale), output, binary=True)


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--committee", "committee_key", metavar="KEY", required=True, help="The committee the items go to."
)
@click.option("--apply", "apply", is_flag=True, help="Write the items (without it: a dry run).")
@click.pass_context
def actions_import(ctx: click.Context, file: str, committee_key: str, apply: bool) -> None:
    """Bring an existing tracker in (FILE.csv or FILE.xlsx), French or English headers.

    Without --apply, lists each item it would create or update, then the counts, and writes
    nothing. Importing the same file again changes nothing. One bad row refuses the whole file,
    naming its row (header = row 1) and column. Owners: a Slack id (owner_id), an e-mail (looked
    up in Slack with SLACK_BOT_TOKEN) or the exact display name.
    """
    engine = open_database(ctx)
    now = datetime.now(UTC)
    lookup = _email_lookup()
    try:
        table = read_table(file)
        with session_scope(engine) as session:
            committee = find_committee(session, committee_key)
            assert committee is not None
            plan = plan_import(session, table, committee=committee, now=now, lookup_email=lookup, source=file)
            touched = apply_import(session, plan, now=now) if apply else []
            lines = plan.lines(applied=apply)
            if not apply:
                session.rollback()
    except UnknownCommittee as error:
        raise CliError(str(error.args[0])) from None
    except ImportRefused as error:
        raise CliError(str(error)) from None
    if touched:
        _replan(engine, touched, now=now)
    for line in lines:
        click.echo(line)


def _email_lookup() -> EmailLookup | None:
    """users.lookupByEmail through the bot token, when one is set (else e-mail owners are refused)."""
    if not os.environ.get("SLACK_BOT_TOKEN"):
        return None
    return slack_email_lookup(make_client(from_env()))


def _replan(engine: Engine, action_ids: list[int], *, now: datetime) -> None:
    """Plan the chase of the items created or changed, as the app does after any change."""
    with session_scope(engine) as session:
        for action_id in action_ids:
            replan_action(session, action_id=action_id, now=now)


@click.group("decisions", short_help="The decisions log (export).")
def decisions() -> None:
    """The decisions recorded in minutes."""


@decisions.command("export")
@click.option("--format", "fmt", type=click.Choice(FILE_FORMATS), required=True)
@_committee
@_output
@click.pass_context
def decisions_export(ctx: click.Context, fmt: str, committee_key: str | None, output: str | None) -> None:
    """The decisions log as CSV (stdout without --output) or Excel: committee, meeting, decision,
    recorded by, recorded."""
    engine = open_database(ctx)
    try:
        with session_scope(engine) as session:
            committee = find_committee(session, committee_key)
            locale = export_locale(session, committee)
            rows = decision_rows(session, committee=committee)
    except UnknownCommittee as error:
        raise CliError(str(error.args[0])) from None
    if fmt == "csv":
        _write(decisions_csv(rows, locale=locale), output, binary=False)
    else:
        _write(decisions_xlsx(rows, locale=locale), output, binary=True)


@click.group("minutes", short_help="Meeting records as documents (export).")
def minutes() -> None:
    """Minutes of meetings as documents."""


@minutes.command("export")
@click.option("--committee", "committee_key", metavar="KEY", required=True, help="The committee (its key).")
@click.option("--date", "day", type=DATE, required=True, help="The meeting's day (YYYY-MM-DD, local).")
@click.option("--format", "fmt", type=click.Choice(("md", "docx")), default="md", show_default=True)
@_output
@click.pass_context
def minutes_export(ctx: click.Context, committee_key: str, day: date, fmt: str, output: str | None) -> None:
    """One meeting's record: committee, date and time, attendees, agenda, summary, decisions and
    action plan. Markdown to stdout without --output; DOCX needs --output."""
    engine = open_database(ctx)
    try:
        with session_scope(engine) as session:
            committee = find_committee(session, committee_key)
            assert committee is not None
            record = minutes_record(session, find_meeting(session, committee, day))
    except (UnknownCommittee, MeetingNotFound) as error:
        raise CliError(str(error.args[0])) from None
    if fmt == "md":
        _write(minutes_markdown(record), output, binary=False)
    else:
        _write(minutes_docx(record), output, binary=True)
