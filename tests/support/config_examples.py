"""Configuration documents the tests import: the SPEC example, a second committee, and bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import SQLModel

from bot.config.transfer import import_config
from bot.config.validation import parse_config
from storage.db import session_scope

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


LATER = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


SPEC_EXAMPLE = """\
timezone: Europe/Paris
locale: fr
holidays: FR
committees:
  - key: production
    name: Comité de production
    kind: production
    channel: C0PROD
    cadence: weekly
    first: 2027-01-05T10:00
    duration: 60
    chair: U0CHAIR
    secretary: U0SEC
    deck_owner: U0DECK
    members: [U0A, U0B]
    holiday_policy: next_business_day
"""


# One weekly committee meeting on Tuesdays at 10:00 since December 2026 (re-planning scenarios).
WEEKLY = """\
timezone: Europe/Paris
locale: fr
holidays: FR
committees:
  - key: production
    name: Comité de production
    kind: production
    channel: C0PROD
    cadence: weekly
    first: 2026-12-01T10:00
    duration: 60
    chair: U0CHAIR
    secretary: U0SEC
    deck_owner: U0DECK
"""


SECOND_COMMITTEE = """\
  - key: qualite
    name: Comité qualité
    kind: qualite
    channel: C0QUAL
    cadence: monthly
    first: 2027-01-14T14:00
    chair: U0QCHAIR
    secretary: U0QSEC
    deck_owner: U0QDECK
"""


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table, to prove that something changed nothing."""
    with engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(table.select())), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }


def import_text(engine, text: str, *, now: datetime = NOW, source: str = "committees.yaml"):
    doc = parse_config(text, source=source)
    with session_scope(engine) as session:
        return import_config(session, doc, now=now)


BAD_INPUT = [
    pytest.param(
        SPEC_EXAMPLE.replace("kind: production", "kind: quality"),
        'committees.yaml: committee "production": unknown kind "quality" '
        "(allowed: production, qualite, pilotage, strategique)",
        id="unknown-kind",
    ),
    pytest.param(
        SPEC_EXAMPLE + "    colour: blue\n",
        'committees.yaml: committee "production": unknown key "colour" (allowed: key, name, kind, channel, cadence, '
        "first, chair, secretary, deck_owner, duration, timezone, locale, holidays, workdays, members, "
        "holiday_policy, requires_approval, timeline, agenda_template, active)",
        id="unknown-committee-key",
    ),
    pytest.param(
        SPEC_EXAMPLE.replace("    chair: U0CHAIR", "    chiar: U0CHAIR"),
        'committees.yaml: committee "production": unknown key "chiar" (did you mean "chair"? allowed: key, name, '
        "kind, channel, cadence, first, chair, secretary, deck_owner, duration, timezone, locale, holidays, "
        "workdays, members, holiday_policy, requires_approval, timeline, agenda_template, active)",
        id="misspelt-committee-key",
    ),
    pytest.param(
        "timezone: Europe/Paris\nlanguage: fr\ncommittees: []\n",
        'committees.yaml: unknown key "language" (allowed: timezone, locale, holidays, workdays, admins, closures, committees)',
        id="unknown-top-level-key",
    ),
    pytest.param(
        SPEC_EXAMPLE.replace("timezone: Europe/Paris", "timezone: Europe/Pariss"),
        'committees.yaml: unknown time zone "Europe/Pariss" (allowed: an IANA zone such as Europe/Paris)',
        id="unknown-workspace-zone",
    ),
    pytest.param(
        SPEC_EXAMPLE + "    timezone: CET+1\n",
        'committees.yaml: committee "production": unknown time zone "CET+1" (allowed: an IANA zone such as Europe/Paris)',
        id="unknown-committee-zone",
    ),
    pytest.param(
        SPEC_EXAMPLE.replace("holidays: FR", "holidays: XX"),
        'committees.yaml: unknown holiday country "XX" (allowed: an ISO 3166 code such as FR, BE, GB, US, a country with a subdivision such as FR-57 or GB-ENG, or none)',
        id="unknown-holiday-country",
    ),
    pytest.param(
        SPEC_EXAMPLE.replace("holiday_policy: next_business_day", "holiday_policy: postpone"),
        'committees.yaml: committee "production": unknown holiday policy "postpone" '
        "(allowed: next_business_day, previous_business_day, skip, keep)",
        id="unknown-holiday-policy",
    ),
    pytest.param(
        SPEC_EXAMPLE + SPEC_EXAMPLE.split("committees:\n")[1].replace("C0PROD", "C0OTHER"),
        'committees.yaml: committee "production": duplicate committee key (each committee needs its own key)',
        id="duplicate-key",
    ),
    pytest.param(
        SPEC_EXAMPLE + SECOND_COMMITTEE.replace("C0QUAL", "C0PROD"),
        'committees.yaml: committee "qualite": channel C0PROD is already the channel of committee "production" '
        "(each active committee needs its own channel)",
        id="shared-channel",
    ),
    pytest.param(
        SPEC_EXAMPLE.replace("channel: C0PROD", "channel: '#production'"),
        'committees.yaml: committee "production": channel "#production" is not a Slack channel id '
        "(allowed: an id such as C024BE91L, not #name)",
        id="channel-name-not-id",
    ),
    pytest.param(
        SPEC_EXAMPLE.replace("chair: U0CHAIR", "chair: jean.dupont"),
        'committees.yaml: committee "production": chair "jean.dupont" is not a Slack user id '
        "(allowed: an id such as U024BE7LH)",
        id="chair-not-user-id",
    ),
    pytest.param(
        SPEC_EXAMPLE.replace("[U0A, U0B]", "[U0A, '@bob']"),
        'committees.yaml: committee "production": members "@bob" is not a Slack user id '
        "(allowed: an id such as U024BE7LH)",
        id="member-not-user-id",
    ),
    pytest.param(
        SPEC_EXAMPLE.replace("locale: fr", "locale: de"),
        'committees.yaml: unknown locale "de" (allowed: fr, en)',
        id="bad-locale",
    ),
    pytest.param(
        SPEC_EXAMPLE.replace("    deck_owner: U0DECK\n", ""),
        'committees.yaml: committee "production": missing key "deck_owner" '
        "(required: key, name, kind, channel, cadence, first, chair, secretary, deck_owner)",
        id="missing-key",
    ),
    pytest.param(
        SPEC_EXAMPLE.replace("  - key: production\n    name:", "  - name:"),
        'committees.yaml: committees[1]: missing key "key" '
        "(required: key, name, kind, channel, cadence, first, chair, secretary, deck_owner)",
        id="missing-committee-key",
    ),
    pytest.param(
        SPEC_EXAMPLE.replace("first: 2027-01-05T10:00", "first: 05/01/2027 10h"),
        'committees.yaml: committee "production": first "05/01/2027 10h" is not a local date and time '
        "(allowed: YYYY-MM-DDTHH:MM in the committee's time zone, e.g. 2027-01-05T10:00)",
        id="bad-first",
    ),
    pytest.param(
        SPEC_EXAMPLE.replace("duration: 60", "duration: 1h"),
        'committees.yaml: committee "production": duration "1h" is not a number of minutes (allowed: 1 to 1440)',
        id="bad-duration",
    ),
    pytest.param(
        SPEC_EXAMPLE + "    agenda_template: weekly\n",
        'committees.yaml: committee "production": unknown agenda template "weekly" '
        "(allowed: production, qualite, pilotage, strategique)",
        id="unknown-agenda-template",
    ),
    pytest.param(
        SPEC_EXAMPLE + "    timeline: soon\n",
        'committees.yaml: committee "production": timeline must be a mapping of overrides '
        "(e.g. timeline: {agenda_request: {business_days: 4}})",
        id="timeline-not-a-mapping",
    ),
    pytest.param(
        "committees:\n  - key: production\n    name: Comité: de production\n",
        "committees.yaml: line 3, column 17: invalid YAML (mapping values are not allowed here)",
        id="malformed-yaml",
    ),
    pytest.param(
        "timezone: Europe/Paris\n",
        'committees.yaml: missing key "committees" (a list of committees, possibly empty: committees: [])',
        id="no-committees",
    ),
]


DELEGATED_CHECKS = [
    pytest.param(
        SPEC_EXAMPLE.replace("cadence: weekly", "cadence: 'FREQ=WEEKLY;UNTIL=20260101T000000'"),
        'cadence "FREQ=WEEKLY;UNTIL=20260101T000000"',
        id="rrule-that-never-occurs",
    ),
    pytest.param(
        SPEC_EXAMPLE.replace("cadence: weekly", "cadence: fortnightly"),
        'cadence "fortnightly"',
        id="unknown-cadence",
    ),
    pytest.param(
        SPEC_EXAMPLE + "    timeline: {no_such_notification: 3}\n", "timeline:", id="unknown-timeline-key"
    ),
]
