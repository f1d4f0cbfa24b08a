"""``committee-bot feeds rotate KEY``: the committees' calendar feeds (.ics)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import click

from bot.cli.common import CliError, open_database
from bot.planning.feeds import feed_url, rotate_feed_token
from storage.committees import UnknownCommittee
from storage.db import session_scope


@click.group(short_help="Calendar feeds (.ics) of the committees.")
def feeds() -> None:
    """Each committee's meetings are served as a subscribable calendar at PUBLIC_URL/calendar/<token>.ics."""


@feeds.command("rotate", epilog="\b\nExample:\n  committee-bot feeds rotate production")
@click.argument("key")
@click.pass_context
def feeds_rotate(ctx: click.Context, key: str) -> None:
    """Issue a new calendar feed token for committee KEY and revoke the old one.

    The old URL answers 404 at once: give the new one (printed here, under PUBLIC_URL when it is set)
    to those who should keep the calendar.
    """
    engine = open_database(ctx)
    try:
        with session_scope(engine) as session:
            token = rotate_feed_token(session, key=key, now=datetime.now(UTC))
    except UnknownCommittee as error:
        raise CliError(str(error.args[0])) from None
    url = feed_url(token, (os.environ.get("PUBLIC_URL") or "").strip() or None)
    click.echo(f"{key}: new calendar feed {url} (the previous feed URL is revoked and now answers 404)")
