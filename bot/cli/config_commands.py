"""``committee-bot config import|export``: workspace settings and committees as YAML (docs/configuration.md)."""

from __future__ import annotations

from datetime import datetime

import click
from sqlmodel import Session

from bot.cli.common import CliError, instant, open_database
from bot.config.cadence_warnings import import_warnings
from bot.config.document import ConfigError, preset_path
from bot.config.schedule_changes import void_changes
from bot.config.transfer import ImportResult, export_config, import_config
from bot.config.validation import load_config
from storage.committees import list_committees
from storage.db import session_scope
from storage.models import id_of


@click.group(short_help="Import or export workspace settings and committees (YAML).")
def config() -> None:
    """Declare the workspace settings and the committees as code (YAML).

    \b
    A file looks like this (every key is described in docs/configuration.md):
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
    default timeline, e.g. {deck_due: {business_days: 3}}), agenda_template (default: the kind),
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
@click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="The instant of the import (default: now): new committees are chased from it on.",
)
@click.pass_context
def config_import(
    ctx: click.Context, file: str | None, preset: str | None, dry_run: bool, now_text: str | None
) -> None:
    """Create or update the workspace settings and committees declared in FILE.yaml.

    Committees are matched by key: importing the same file again changes nothing, and committees
    absent from the file are left as they are (declare one with `active: false` to retire it).
    The whole file is checked first; one problem and nothing is written. A new committee is chased
    from its import on: nothing is sent about meetings that ended before, and its first digest is
    the next one due.
    """
    now = instant(now_text)
    engine = open_database(ctx)
    if (file is None) == (preset is None):
        raise CliError(
            "give either FILE.yaml or --preset NAME (e.g. committee-bot config import committees.yaml)"
        )
    try:
        if preset is not None:
            path = preset_path(preset)
            doc = load_config(path, source=path.name, today=now.date())
        else:
            assert file is not None
            doc = load_config(file, today=now.date())
    except ConfigError as error:
        raise CliError(str(error)) from None
    try:
        with session_scope(engine) as session:
            result = import_config(session, doc, now=now)
            keys = [spec.key for spec in doc.committees]
            warnings = import_warnings(session, keys=keys, now=now) + void_changes(
                session, keys=keys, now=now
            )
            if dry_run:
                session.rollback()
            else:
                after_import(session, result, now=now)
    except ConfigError as error:
        raise CliError(str(error)) from None
    prefix = "dry run, nothing written: " if dry_run else ""
    click.echo(prefix + result.summary(doc.source))
    for warning in warnings:
        click.echo(f"Warning: {doc.source}: {warning}", err=True)


def after_import(session: Session, result: ImportResult, *, now: datetime) -> None:
    """What an import sets going, in its transaction: the notifications of committees whose settings
    changed are re-planned, so a new cadence, time zone or chair takes effect at once rather than at
    the dispatcher's next periodic check (new committees are planned by its first pass), and the
    messages posted about their meetings are marked for an edit (bot.planning.posted)."""
    from bot.planning import outbox, posted

    changed = None if result.workspace_changed else set(result.updated)
    replanned = [
        id_of(committee)
        for committee in list_committees(session, active=None)
        if (changed is None or committee.key in changed) and committee.key not in result.created
    ]
    for committee_id in replanned:
        outbox.replan_committee(session, committee_id=committee_id, now=now)
    posted.outdate_posted(session, committee_ids=replanned, now=now)


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
