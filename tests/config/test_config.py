"""Configuration as code: validation, idempotent import, export round trip, presets, agenda templates."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from bot.config.document import ConfigError, preset_path
from bot.config.transfer import export_config, import_config
from bot.config.validation import load_config, parse_config
from bot.core.agenda import action_review_title, agenda_sections, template_keys
from storage.committees import get_workspace
from storage.db import session_scope
from storage.models import Committee, CommitteeMember, WorkspaceSettings
from tests.support.config_examples import (
    BAD_INPUT,
    DELEGATED_CHECKS,
    LATER,
    NOW,
    SECOND_COMMITTEE,
    SPEC_EXAMPLE,
    import_text,
    snapshot,
)

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


@pytest.mark.parametrize(("text", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_one_line_saying_what_and_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="committees.yaml")

    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


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
