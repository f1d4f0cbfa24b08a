"""Re-planning after changes (SPEC §4 "Changes and their invariant") and the first install.

Each test is one failure the invariant property test (``test_invariant.py``) found, or one that
issue 9 reported, reproduced with the real flows, the real dispatcher and the fake Slack over HTTP,
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.action_items import flows as action_rules
from bot.cli.main import cli
from bot.config.transfer import import_config
from bot.config.validation import parse_config
from bot.delivery import tick as delivery
from bot.meetings import flows as meeting_flows
from bot.meetings import state as meeting_state
from bot.notices.health import health_by_committee
from bot.planning.window import plan_window
from bot.surface.action_items import after_action_committed
from bot.surface.meetings import refresh_messages
from storage.db import session_scope, write_session
from storage.models import ActionItem, Committee, Meeting, Notification, SlackUser
from tests.conftest import database_env
from tests.support.config_examples import WEEKLY
from tests.support.fakeslack import FakeSlack, blocks_text

PARIS = ZoneInfo("Europe/Paris")
APPROVED = WEEKLY.replace("kind: production", "kind: pilotage")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


@pytest.fixture
def fake():
    with FakeSlack() as running:
        for user in ("U0CHAIR", "U0SEC", "U0DECK", "U0A", "U0B"):
            running.add_user(user, tz="Europe/Paris", locale="fr-FR")
        yield running


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url)


def declare(engine, text: str = WEEKLY, *, now: datetime) -> None:
    with session_scope(engine) as session:
        import_config(session, parse_config(text), now=now)
        for user in ("U0CHAIR", "U0SEC", "U0DECK", "U0A", "U0B"):
            session.add(SlackUser(user_id=user, tz="Europe/Paris", locale="fr-FR"))


def tick(engine, client, now: datetime) -> delivery.TickSummary:
    return delivery.tick(engine, client, now=now, worker="test", sleep=lambda _s: None, concurrency=1)


def row(engine, key: str) -> Notification:
    with Session(engine) as session:
        return session.exec(select(Notification).where(Notification.key == key)).one()


def posted(fake: FakeSlack, key: str):
    found = [m for m in fake.messages() if m.metadata and m.metadata["event_payload"]["key"] == key]
    assert len(found) <= 1, f"{key} posted {len(found)} times"
    return found[0] if found else None


def meeting_on(engine, series_start: datetime, now: datetime) -> int:
    with write_session(engine) as session:
        committee = session.exec(select(Committee)).first()
        return meeting_state.meeting_for_series(
            session, committee=committee, series_start=series_start, now=now
        ).id


def meeting_flow(engine, client, now: datetime, flow) -> None:
    """A meeting flow as the listeners run it: the change committed, then the refresh."""
    with write_session(engine) as session:
        meeting_id = flow(session)
    refresh_messages(engine, client, meeting_id=meeting_id, now=now)


def add_action(engine, client, *, now: datetime, owner: str, due: date, meeting_id: int | None = None) -> int:
    with write_session(engine) as session:
        committee = session.exec(select(Committee)).first()
        item = action_rules.create_action(
            session, title="Relancer le prestataire", owner=owner, creator="U0CHAIR", due=due,
            committee_id=committee.id, meeting_id=meeting_id, now=now, today=due - timedelta(days=30),
        )  # fmt: skip
        action_id = item.id
    after_action_committed(engine, client, action_id=action_id, now=now, users=())
    return action_id


# -- a meeting moved twice ---------------------------------------------------------------------


def test_a_meeting_moved_twice_gets_the_agenda_request_and_deck_reminder_of_its_last_slot(
    engine, fake, client
) -> None:
    """Issue 9: moved to tomorrow, the agenda request and deck reminder were skipped ("no longer
    needed", their deadline had passed); moved again a week later they stayed skipped while
    ``plan`` listed them, and the deck owner was never reminded."""
    declare(engine, now=paris(2027, 1, 4, 8, 0))
    tick(engine, client, paris(2027, 1, 11, 8, 0))
    series = paris(2027, 1, 19, 10, 0)
    meeting_id = meeting_on(engine, series, paris(2027, 1, 11, 8, 0))
    now = paris(2027, 1, 14, 8, 0)  # Thursday, before the agenda request of the 19th (09:00)

    meeting_flow(engine, client, now, lambda s: meeting_flows.move_meeting(
        s, meeting_id=meeting_id, new_start=paris(2027, 1, 15, 15, 0), actor="U0CHAIR", now=now
    ).id)  # fmt: skip
    key = "m:production:20270119T0900Z"
    assert row(engine, f"{key}:deck_reminder").state == "skipped"  # tomorrow: its deadline has passed
    meeting_flow(engine, client, now, lambda s: meeting_flows.move_meeting(
        s, meeting_id=meeting_id, new_start=paris(2027, 1, 26, 14, 0), actor="U0CHAIR", now=now
    ).id)  # fmt: skip

    with Session(engine) as session:
        planned = {
            p.key: p.at
            for p in plan_window(session, start=now, end=paris(2027, 1, 27, 0, 0))
            if p.key.startswith(key)
        }
    for kind in ("agenda_request", "deck_reminder", "agenda_published"):
        stored = row(engine, f"{key}:{kind}")
        assert (stored.state, stored.due_at) == ("pending", planned[f"{key}:{kind}"]), kind
    assert row(engine, f"{key}:deck_reminder").due_at == paris(2027, 1, 21, 9, 0)

    tick(engine, client, paris(2027, 1, 21, 9, 0))
    reminder = posted(fake, f"{key}:deck_reminder")
    assert reminder is not None and reminder.channel == "U0DECK"
    assert posted(fake, f"{key}:agenda_request") is not None


# -- minutes -----------------------------------------------------------------------------------


def test_minutes_sent_back_resume_the_secretarys_overdue_chase(engine, fake, client) -> None:
    """Submitted minutes stop the secretary's chase (its rows are skipped); when the chair asks for
    changes the minutes are owed again, and the chase resumes where a fresh plan has it."""
    declare(engine, APPROVED, now=paris(2027, 1, 4, 8, 0))
    tick(engine, client, paris(2027, 1, 4, 8, 0))
    meeting_id = meeting_on(engine, paris(2027, 1, 5, 10, 0), paris(2027, 1, 4, 8, 0))
    tick(engine, client, paris(2027, 1, 7, 11, 0))  # minutes due Thu 7th 11:00: first chase sent
    assert posted(fake, "m:production:20270105T0900Z:minutes_overdue:1:secretary") is not None
    now = paris(2027, 1, 7, 12, 0)
    meeting_flow(engine, client, now, lambda s: meeting_flows.submit_minutes(
        s, meeting_id=meeting_id, summary="CR", actor="U0SEC", now=now
    ).meeting_id)  # fmt: skip
    second = "m:production:20270105T0900Z:minutes_overdue:2:secretary"
    assert row(engine, second).state == "skipped"

    meeting_flow(engine, client, now, lambda s: meeting_flows.request_minutes_changes(
        s, meeting_id=meeting_id, comment="Ajouter les chiffres", actor="U0CHAIR", now=now
    ).id)  # fmt: skip

    assert (row(engine, second).state, row(engine, second).due_at) == ("pending", paris(2027, 1, 8, 9, 0))
    tick(engine, client, paris(2027, 1, 8, 9, 0))
    assert posted(fake, second) is not None


def test_posting_the_minutes_edits_the_overdue_chases_already_posted(engine, fake, client) -> None:
    """The minutes count as delivered once the bot posts them: the chases in the channel and DMs
    then say so, not "submitted" (the state when the secretary pressed the button)."""
    declare(engine, now=paris(2027, 1, 4, 8, 0))
    tick(engine, client, paris(2027, 1, 4, 8, 0))
    meeting_id = meeting_on(engine, paris(2027, 1, 5, 10, 0), paris(2027, 1, 4, 8, 0))
    tick(engine, client, paris(2027, 1, 7, 11, 0))
    now = paris(2027, 1, 7, 12, 0)
    meeting_flow(engine, client, now, lambda s: meeting_flows.submit_minutes(
        s, meeting_id=meeting_id, summary="CR", actor="U0SEC", now=now
    ).meeting_id)  # fmt: skip
    tick(engine, client, now)  # posts the minutes

    chase = posted(fake, "m:production:20270105T0900Z:minutes_overdue:1:channel")
    assert "publié" in chase.text and "déposé" not in chase.text


# -- actions -----------------------------------------------------------------------------------


def test_an_escalation_after_a_reassignment_reaches_the_chair(engine, fake, client) -> None:
    """The escalation row keeps its key across a reassignment (same due date) but names the owner it
    escalates: that name follows the reassignment instead of making the chase look obsolete."""
    declare(engine, now=paris(2027, 1, 4, 8, 0))
    now = paris(2027, 1, 4, 9, 0)
    action_id = add_action(engine, client, now=now, owner="U0A", due=date(2027, 1, 8))
    tick(engine, client, now)
    with write_session(engine) as session:
        action_rules.reassign_action(session, action_id=action_id, actor="U0CHAIR", new_owner="U0B", now=now)
    after_action_committed(engine, client, action_id=action_id, now=now, users=())

    escalation = f"a:{action_id}:2027-01-08:-:action_escalation"
    assert row(engine, escalation).data["owner"] == "U0B"
    tick(engine, client, paris(2027, 1, 15, 9, 0))  # 3rd overdue chase: Mon 11, Wed 13, Fri 15
    message = posted(fake, escalation)
    assert (
        message is not None
        and message.channel == "U0CHAIR"
        and "U0B" in message.text + blocks_text(message.blocks)
    )


def test_an_action_closed_edits_the_posted_agenda_and_the_minutes_that_list_it(engine, fake, client) -> None:
    """The agenda of the next meeting lists the committee's open actions and the minutes list the
    actions they created: both are edited when the action is done."""
    declare(engine, now=paris(2027, 1, 4, 8, 0))
    tick(engine, client, paris(2027, 1, 4, 8, 0))
    held = meeting_on(engine, paris(2027, 1, 5, 10, 0), paris(2027, 1, 4, 8, 0))
    now = paris(2027, 1, 5, 12, 0)
    meeting_flow(engine, client, now, lambda s: meeting_flows.submit_minutes(
        s, meeting_id=held, summary="CR", action_lines=["<@U0A> Relancer le prestataire by 2027-01-29"],
        actor="U0SEC", now=now,
    ).meeting_id)  # fmt: skip
    tick(engine, client, now)
    tick(engine, client, paris(2027, 1, 7, 9, 0))  # agenda request of the 12th
    agenda = posted(fake, "m:production:20270112T0900Z:agenda_request")
    minutes = posted(fake, "m:production:20270105T0900Z:minutes_posted:1")
    assert "Relancer le prestataire" in blocks_text(agenda.blocks)
    with Session(engine) as session:
        action_id = session.exec(select(ActionItem.id)).one()

    now = paris(2027, 1, 7, 10, 0)
    with write_session(engine) as session:
        action_rules.complete_action(session, action_id=action_id, actor="U0A", now=now)
    after_action_committed(engine, client, action_id=action_id, now=now, users=())

    assert "Relancer le prestataire" not in blocks_text(agenda.blocks)  # no longer open
    assert minutes.edits and "100" in blocks_text(minutes.blocks)


# -- first install -----------------------------------------------------------------------------


INSTALL = paris(2027, 1, 14, 10, 0)  # Thursday: meetings held on the 5th and 12th, before it


def sent_kinds(engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(Notification).where(Notification.state == "sent")).all()
        return sorted((r.kind, r.key) for r in rows)


def test_first_install_chases_nothing_held_before_it_and_waits_for_the_next_digest_day(
    engine, fake, client
) -> None:
    """SPEC §4: a committee is chased from its first import on. The meeting of the 12th (minutes due
    the 14th at 11:00) and earlier ones get no minutes request, reminder or overdue chase; the
    first digest is Monday's, not a mid-week one with empty figures."""
    declare(engine, now=INSTALL)
    for hour in range(10, 24):
        tick(engine, client, paris(2027, 1, 14, hour, 0))
    tick(engine, client, paris(2027, 1, 15, 9, 0))
    kinds = sent_kinds(engine)
    assert [k for k in kinds if k[0].startswith("minutes") or k[0] == "weekly_digest"] == []
    # The meeting to come is planned as usual (its agenda request was due at 09:00: sent at once).
    assert ("agenda_request", "m:production:20270119T0900Z:agenda_request") in kinds

    tick(engine, client, paris(2027, 1, 18, 9, 0))
    assert ("weekly_digest", "d:production:2027-01-18") in sent_kinds(engine)
    with Session(engine) as session:
        committee = session.exec(select(Committee)).one()
        assert committee.chased_from == INSTALL
        held = session.exec(select(Meeting).where(Meeting.start < INSTALL)).all()
        assert [m.start for m in held if m.minutes_submitted_at] == []


def test_a_committee_added_later_is_chased_from_its_own_import(engine, fake, client) -> None:
    """A committee declared weeks after the others has its own starting point: the first keeps
    its chases and digests."""
    declare(engine, now=paris(2027, 1, 4, 8, 0))
    later = WEEKLY.replace("key: production", "key: qualite").replace("C0PROD", "C0QUAL")
    later = later.replace("name: Comité de production", "name: Comité qualité")
    with session_scope(engine) as session:
        import_config(session, parse_config(later), now=INSTALL)
    tick(engine, client, INSTALL)
    tick(engine, client, paris(2027, 1, 14, 11, 0))
    kinds = sent_kinds(engine)
    assert ("minutes_overdue", "m:production:20270112T0900Z:minutes_overdue:1:channel") in kinds
    assert [key for kind, key in kinds if key.startswith("m:qualite") and kind.startswith("minutes")] == []
    assert [key for kind, key in kinds if key.startswith("d:qualite")] == []


def test_first_install_through_the_command_line(database, engine, fake, tmp_path) -> None:
    """``config import --now`` then ``tick --now``: the same, as an operator runs it."""
    path = tmp_path / "committees.yaml"
    path.write_text(WEEKLY, encoding="utf-8")
    env = {**database_env(database), "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.api_url}

    def run(*args: str):
        result = CliRunner().invoke(cli, list(args), env=env, prog_name="committee-bot")
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result.stdout

    run("config", "import", str(path), "--now", INSTALL.isoformat())
    run("tick", "--now", INSTALL.isoformat())
    run("tick", "--now", paris(2027, 1, 14, 11, 0).isoformat())
    keys = sorted(m.metadata["event_payload"]["key"] for m in fake.messages() if m.metadata)
    # Only the meeting to come: its agenda request and deck reminder, due at 09:00, sent at once.
    assert keys == ["m:production:20270119T0900Z:agenda_request", "m:production:20270119T0900Z:deck_reminder"]
    plan = run("plan", "--from", "2027-01-14", "--to", "2027-01-18", "--format", "json")
    listed = json.loads(plan)
    assert [item for item in listed if item["kind"].startswith("minutes")] == []
    # No digest for the week of the install: the first is Monday's.
    assert [item["at"] for item in listed if item["kind"] == "weekly_digest"] == ["2027-01-18T09:00:00+01:00"]


def test_meetings_held_before_the_install_do_not_count_in_the_health_figures(engine, fake, client) -> None:
    """The first digest's figures measure what the bot chased: a meeting held before the install
    (its row created later, e.g. by minutes submitted late) is not counted as minutes late."""
    declare(engine, now=INSTALL)
    before = meeting_on(engine, paris(2027, 1, 12, 10, 0), INSTALL)
    after = meeting_on(engine, paris(2027, 1, 19, 10, 0), INSTALL)
    with Session(engine) as session:
        committee_id = session.exec(select(Committee.id)).one()
        figures = health_by_committee(session, committee_ids=[committee_id], now=paris(2027, 1, 25, 9, 0))
    assert before != after
    # Only the meeting of the 19th: its deck (never shared) and its minutes (never posted) are late.
    assert (figures[committee_id].minutes.total, figures[committee_id].decks.total) == (1, 1)


def test_a_meeting_moved_again_after_its_first_slot_keeps_its_posted_agenda_current(
    engine, fake, client
) -> None:
    """The posted agenda request kept the expiry of the slot it was posted for: once that slot had
    passed, a further move could no longer edit it, and it showed a date the meeting no longer had."""
    declare(engine, now=paris(2027, 1, 4, 8, 0))
    tick(engine, client, paris(2027, 1, 11, 8, 0))
    tick(engine, client, paris(2027, 1, 14, 9, 0))  # agenda request of the 19th
    meeting_id = meeting_on(engine, paris(2027, 1, 19, 10, 0), paris(2027, 1, 14, 9, 0))
    first = paris(2027, 1, 15, 9, 0)
    meeting_flow(engine, client, first, lambda s: meeting_flows.move_meeting(
        s, meeting_id=meeting_id, new_start=paris(2027, 1, 21, 10, 0), actor="U0CHAIR", now=first
    ).id)  # fmt: skip
    later = paris(2027, 1, 20, 9, 0)  # after the slot of the 19th
    meeting_flow(engine, client, later, lambda s: meeting_flows.move_meeting(
        s, meeting_id=meeting_id, new_start=paris(2027, 1, 22, 14, 0), actor="U0CHAIR", now=later
    ).id)  # fmt: skip

    agenda = posted(fake, "m:production:20270119T0900Z:agenda_request")
    assert f"<!date^{int(paris(2027, 1, 22, 14, 0).timestamp())}^" in agenda.text


def test_amended_minutes_edit_the_assignment_note_of_an_action_they_redate(engine, fake, client) -> None:
    """Amended minutes reconcile their action lines with the items already created: an item whose
    line now says another date keeps its id, and the owner's DM about it shows the new date."""
    declare(engine, now=paris(2027, 1, 4, 8, 0))
    tick(engine, client, paris(2027, 1, 4, 8, 0))
    held = meeting_on(engine, paris(2027, 1, 5, 10, 0), paris(2027, 1, 4, 8, 0))
    now = paris(2027, 1, 5, 12, 0)
    meeting_flow(engine, client, now, lambda s: meeting_flows.submit_minutes(
        s, meeting_id=held, summary="CR", action_lines=["<@U0A> Relancer le prestataire by 2027-01-29"],
        actor="U0SEC", now=now,
    ).meeting_id)  # fmt: skip
    tick(engine, client, now)
    [note] = [m for m in fake.messages("U0A") if "Relancer le prestataire" in m.text + blocks_text(m.blocks)]
    assert "2027-01-29" in blocks_text(note.blocks)

    later = paris(2027, 1, 6, 9, 0)
    meeting_flow(engine, client, later, lambda s: meeting_flows.amend_minutes(
        s, meeting_id=held, summary="CR corrigé",
        action_lines=["<@U0A> Relancer le prestataire by 2027-02-05"], actor="U0SEC", now=later,
    ).meeting_id)  # fmt: skip

    assert "2027-02-05" in blocks_text(note.blocks) and "2027-01-29" not in blocks_text(note.blocks)
