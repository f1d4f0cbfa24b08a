"""Configuration as code: validation, idempotent import, export round trip, presets, agenda templates."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from sqlmodel import SQLModel, select

from bot.config.document import ConfigError, preset_path
from bot.config.transfer import export_config, import_config
from bot.config.validation import load_config, parse_config
from bot.core.agenda import action_review_title, agenda_sections, template_keys
from storage.committees import get_workspace
from storage.db import session_scope
from storage.models import Committee, CommitteeMember, WorkspaceSettings

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)

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


# --- import ----------------------------------------------------------------------------------


def test_spec_example_declares_the_workspace_and_the_committee(engine) -> None:
    result = import_text(engine, SPEC_EXAMPLE)

    assert result.created == ["production"] and result.workspace_changed
    with session_scope(engine) as session:
        workspace = get_workspace(session)
        assert (workspace.timezone, workspace.locale, workspace.holidays) == ("Europe/Paris", "fr", "FR")
        committee = session.exec(select(Committee)).one()
        assert committee.key == "production"
        assert committee.channel == "C0PROD"
        assert committee.first == datetime(2027, 1, 5, 10, 0)
        assert committee.timezone == "Europe/Paris" and committee.locale == "fr"
        assert (committee.chair, committee.secretary, committee.deck_owner) == ("U0CHAIR", "U0SEC", "U0DECK")
        assert committee.minutes_approval is None
        assert len(committee.feed_token) >= 32
        members = session.exec(select(CommitteeMember.user_id).order_by(CommitteeMember.id)).all()
        assert members == ["U0A", "U0B"]


def test_importing_the_same_file_twice_changes_nothing(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    before = snapshot(engine)

    result = import_text(engine, SPEC_EXAMPLE, now=LATER)

    assert not result.changed and result.unchanged == ["production"]
    assert snapshot(engine) == before


def test_export_imports_back_without_changing_anything(engine) -> None:
    import_text(
        engine,
        SPEC_EXAMPLE.replace(
            "holidays: FR\n", "holidays: FR\nworkdays: [mon, tue, wed, thu, fri]\nadmins: [U0ADMIN]\n"
        )
        + SECOND_COMMITTEE
        + "    timezone: America/Montreal\n    locale: en\n    holidays: NO\n    requires_approval: true\n"
        + "    agenda_template: pilotage\n    active: false\n"
        + "    timeline: {off: [meeting_reminder], deck_due: {business_days: 3}, digest: {time: '08:30'}}\n",
    )
    before = snapshot(engine)
    with session_scope(engine) as session:
        exported = export_config(session)

    result = import_text(engine, exported, now=LATER, source="export.yaml")

    assert not result.changed
    assert snapshot(engine) == before
    with session_scope(engine) as session:
        assert export_config(session) == exported


def test_export_reads_like_the_spec_example(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    with session_scope(engine) as session:
        exported = export_config(session)

    assert "members: [U0A, U0B]" in exported
    assert "first: 2027-01-05T10:00" in exported
    assert "feed_token" not in exported
    assert yaml.safe_load(exported)["committees"][0] == {
        **yaml.safe_load(SPEC_EXAMPLE)["committees"][0],
        "first": "2027-01-05T10:00",
    }


def test_feed_token_is_made_once_and_kept_on_reimport(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    with session_scope(engine) as session:
        token = session.exec(select(Committee.feed_token)).one()

    import_text(engine, SPEC_EXAMPLE.replace("duration: 60", "duration: 90"), now=LATER)

    with session_scope(engine) as session:
        committee = session.exec(select(Committee)).one()
        assert committee.feed_token == token
        assert committee.duration == 90
        assert committee.updated_at == LATER and committee.created_at == NOW


def test_reimport_replaces_the_member_set(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)

    result = import_text(engine, SPEC_EXAMPLE.replace("[U0A, U0B]", "[U0B, U0C]"), now=LATER)

    assert result.updated == ["production"]
    with session_scope(engine) as session:
        members = session.exec(select(CommitteeMember.user_id)).all()
    assert sorted(members) == ["U0B", "U0C"]


def test_omitted_workspace_keys_keep_their_stored_values(engine) -> None:
    import_text(engine, SPEC_EXAMPLE.replace("timezone: Europe/Paris", "timezone: Europe/Brussels"))

    result = import_text(engine, "committees:\n" + SECOND_COMMITTEE, now=LATER)

    assert not result.workspace_changed
    with session_scope(engine) as session:
        assert get_workspace(session).timezone == "Europe/Brussels"
        qualite = session.exec(select(Committee).where(Committee.key == "qualite")).one()
        assert qualite.timezone == "Europe/Brussels"  # a committee without a zone takes the workspace's
        assert session.exec(select(Committee).where(Committee.key == "production")).one().active


def test_committee_options_are_stored(engine) -> None:
    import_text(
        engine,
        SPEC_EXAMPLE
        + "    timezone: Europe/London\n    locale: en\n    holidays: gb\n    workdays: sun,mon,tue,wed,thu\n"
        + "    requires_approval: true\n    agenda_template: qualite\n",
    )
    with session_scope(engine) as session:
        committee = session.exec(select(Committee)).one()
    assert committee.timezone == "Europe/London"
    assert committee.locale == "en"
    assert committee.holidays == "GB"
    assert committee.workdays == "mon,tue,wed,thu,sun"
    assert committee.minutes_approval is True
    assert committee.agenda_template == "qualite"


# --- bad input -------------------------------------------------------------------------------

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
        'committees.yaml: unknown key "language" (allowed: timezone, locale, holidays, workdays, admins, committees)',
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
        'committees.yaml: unknown holiday country "XX" (allowed: an ISO 3166 code such as FR, BE, GB, US, or none)',
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


@pytest.mark.parametrize(("text", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_one_line_saying_what_and_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="committees.yaml")

    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


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


@pytest.mark.parametrize(("text", "what"), DELEGATED_CHECKS)
def test_checks_delegated_to_the_timeline_name_the_committee(text: str, what: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="committees.yaml")

    assert str(caught.value).startswith(f'committees.yaml: committee "production": {what}')
    assert "\n" not in str(caught.value)


def test_yes_no_on_off_stay_text() -> None:
    doc = parse_config(
        SPEC_EXAMPLE.replace("holidays: FR", "holidays: NO")
        + "    timeline: {off: [meeting_reminder]}\n    requires_approval: false\n"
    )

    assert doc.workspace.holidays == "NO"
    assert doc.committees[0].timeline == {"off": ["meeting_reminder"]}
    assert doc.committees[0].requires_approval is False


def test_spec_example_ids_are_accepted() -> None:
    doc = parse_config(SPEC_EXAMPLE, source="committees.yaml")

    (committee,) = doc.committees
    assert committee.channel == "C0PROD" and committee.members == ("U0A", "U0B")


def test_first_given_with_seconds_by_yaml_is_accepted() -> None:
    doc = parse_config(SPEC_EXAMPLE.replace("2027-01-05T10:00", "2027-01-05 10:00:00"))

    assert doc.committees[0].first == datetime(2027, 1, 5, 10, 0)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: no such file"):
        load_config(tmp_path / "nowhere.yaml")


def test_an_import_refused_by_the_database_changes_nothing(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    before = snapshot(engine)
    # Valid on its own, but its channel belongs to production, which this file does not declare.
    clash = "timezone: Europe/Lisbon\ncommittees:\n" + SECOND_COMMITTEE.replace("C0QUAL", "C0PROD")

    with pytest.raises(
        ConfigError,
        match='committee "qualite": channel C0PROD is already the channel of committee "production"',
    ):
        import_text(engine, clash, now=LATER)

    assert snapshot(engine) == before


# --- presets and agenda templates --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "locale"), [("contact-centre", "fr"), ("contact-centre-fr", "fr"), ("contact-centre-en", "en")]
)
def test_contact_centre_preset_declares_the_four_committees(name: str, locale: str) -> None:
    doc = load_config(preset_path(name))

    assert [c.kind for c in doc.committees] == ["production", "qualite", "pilotage", "strategique"]
    assert doc.workspace.timezone == "Europe/Paris" and doc.workspace.holidays == "FR"
    assert doc.workspace.locale == locale
    cadences = {c.kind: c.cadence for c in doc.committees}
    assert cadences["production"] == "weekly" and cadences["strategique"] == "semiannual"
    assert cadences["pilotage"].startswith("monthly")
    assert {c.first.year for c in doc.committees} == {2027}
    assert next(c for c in doc.committees if c.kind == "strategique").duration == 180


def test_preset_imports(engine) -> None:
    with session_scope(engine) as session:
        result = import_config(session, load_config(preset_path("contact-centre")), now=NOW)

    assert result.created == ["production", "qualite", "pilotage", "strategique"]
    with session_scope(engine) as session:
        assert session.exec(select(WorkspaceSettings)).one().admins == ["U06PILOTE1"]


def test_unknown_preset_lists_the_presets() -> None:
    with pytest.raises(
        ConfigError, match=r'unknown preset "call-centre" \(allowed: contact-centre, contact-centre-en'
    ):
        preset_path("call-centre")


@pytest.mark.parametrize(("locale", "review"), [("fr", "Revue des actions"), ("en", "Action review")])
def test_every_template_ends_with_the_action_review(locale: str, review: str) -> None:
    assert action_review_title(locale) == review
    assert template_keys(locale) == ["production", "qualite", "pilotage", "strategique"]
    for key in template_keys(locale):
        sections = agenda_sections(locale, key)
        assert sections[-1] == review and sections.count(review) == 1
        assert len(sections) >= 3


def test_production_agenda_covers_its_purpose() -> None:
    sections = agenda_sections("fr", "production")

    assert sections[0].startswith("KPI de la semaine")
    assert any("renfort" in section for section in sections)


def test_unknown_agenda_template_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown agenda template"):
        agenda_sections("en", "weekly")
