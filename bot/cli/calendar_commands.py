"""``committee-bot calendar``, ``plan`` and ``actions list``: what the bot knows and will send, read-only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import click

from bot.cli.common import (
    DATE,
    FORMATS,
    STATUSES,
    CliError,
    check_window,
    emit_json,
    local_time,
    open_database,
)
from bot.core.timeline import Planned
from storage.committees import UnknownCommittee, get_workspace, list_committees
from storage.db import session_scope
from storage.models import Committee

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


@click.command(
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
    from bot.planning.ics import calendars_ics
    from bot.planning.window import calendar_days

    engine = open_database(ctx)
    check_window(first, last)
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
        emit_json(
            [
                {
                    "committee": committee.key,
                    "start": local_time(occurrence.start, committee.timezone).isoformat(),
                    "end": local_time(occurrence.end, committee.timezone).isoformat(),
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
        start = local_time(occurrence.start, committee.timezone)
        end = local_time(occurrence.end, committee.timezone)
        click.echo(
            f"{start:%Y-%m-%d %a %H:%M}–{end:%H:%M} {committee.timezone:<14} "
            f"{committee.key:<14} {occurrence.status:<10} {committee.name}"
        )
    click.echo(f"{len(rows)} meeting{'s' if len(rows) != 1 else ''}.")


@click.command(
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
    from bot.planning.window import plan_days

    engine = open_database(ctx)
    check_window(first, last)
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
        emit_json([_planned_json(item, zone(item)) for item in planned])
        return
    if not planned:
        click.echo(f"Nothing to send from {first} to {last}.")
        return
    for item in planned:
        at = local_time(item.at, zone(item))
        meeting = (
            f"  meeting {local_time(item.meeting_start, zone(item)):%Y-%m-%d %H:%M}"
            if item.meeting_start
            else ""
        )
        action = f"  action A{item.action_id}" if item.action_id is not None else ""
        click.echo(
            f"{at:%Y-%m-%d %a %H:%M %z}  {item.kind:<18} {item.committee_key or '-':<14} → {item.to}{meeting}{action}"
        )
    click.echo(f"{len(planned)} notification{'s' if len(planned) != 1 else ''}.")


def _planned_json(item: Planned, tz: str) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "at": local_time(item.at, tz).isoformat(),
        "committee": item.committee_key,
        "meeting": local_time(item.meeting_start, tz).isoformat() if item.meeting_start else None,
        "to": item.to,
        "action": f"A{item.action_id}" if item.action_id is not None else None,
        "key": item.key,
    }


@click.group(short_help="The action tracker (list, export, import).")
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

    from storage.action_items import list_actions

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
        emit_json(rows)
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
