"""The message of every notification kind, built from real rows (SQLite, and PostgreSQL when configured).

Each test reads the message as a Slack user would: the text, the date tokens, the buttons with
their action ids and values, the escaping of what users typed; and checks the cases where the
message is no longer needed (None).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from bot.core import kinds
from bot.meetings import flows as meetings
from bot.notices import message as notices_message
from bot.notices import registry as notices
from bot.notices.message import OutgoingMessage
from bot.notices.registry import build, build_many
from bot.slack import ids
from bot.slack.payloads import ActionRef, MeetingRef, dump
from storage.models import ActionStatus, MeetingStatus
from tests.support import notices as h
from tests.support.notices import (
    CHAIR,
    DECK,
    DECK_DUE,
    END,
    MEMBER,
    MINUTES_DUE,
    NASTY,
    OWNER,
    SECRETARY,
    START,
    buttons,
    check_limits,
    token,
    visible,
)

ESCAPED = 'Budget &lt;Q2&gt; &amp; "hausse" &lt;!channel&gt;'


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        h.workspace(session)
        yield session


@pytest.fixture
def prod(session: Session):
    """The French weekly production committee and its meeting of Tuesday 23 March 2027."""
    committee = h.committee(session)
    return committee, h.meeting(session, committee)


@pytest.fixture
def pilot(session: Session):
    """An English monthly steering committee (minutes need the chair's approval)."""
    committee = h.committee(
        session,
        key="pilotage",
        name="Steering committee",
        kind="pilotage",
        channel="C0PILOT",
        cadence="monthly",
        first=datetime(2027, 1, 5, 10, 0),
        locale="en",
    )
    return committee, h.meeting(session, committee)


def send(
    session: Session, kind: str, to: str, committee, meeting=None, /, *, action=None, now: datetime, **data
) -> OutgoingMessage | None:
    row = h.notification(session, kind, to, committee, meeting, action, **data)
    message = build(session, row, now=now)
    if message is not None:
        check_limits(message)
        for _, extra in message.also:
            check_limits(extra)
    return message


# -- save_the_date -------------------------------------------------------------------------------


def test_save_the_date_gives_date_time_zone_and_participants(session, prod):
    committee, meeting = prod
    h.member(session, committee, MEMBER)
    message = send(
        session, "save_the_date", committee.channel, committee, meeting, now=START - timedelta(days=60)
    )
    text = visible(message)
    assert "À noter dans vos agendas — Comité de production" in text
    assert token(START) in text and "2027-03-23 10:00, heure de Europe/Paris" in text
    assert "60 min" in text
    assert f"<@{CHAIR}>, <@{SECRETARY}>, <@{DECK}>, <@{MEMBER}>" in text
    assert buttons(message) == []


def test_save_the_date_in_english_for_an_english_committee(session, pilot):
    committee, meeting = pilot
    message = send(
        session, "save_the_date", committee.channel, committee, meeting, now=START - timedelta(days=60)
    )
    assert "Save the date — Steering committee" in visible(message)
    assert "2027-03-23 10:00 Europe/Paris time" in visible(message)


# -- agenda_request ------------------------------------------------------------------------------


def test_agenda_request_lists_template_sections_action_review_and_topics(session, prod):
    committee, meeting = prod
    late = h.action(session, committee, title="Former les nouveaux <conseillers>", due=date(2027, 3, 10))
    h.action(session, committee, title="Done already", status=ActionStatus.done.value)
    h.topic(session, meeting, NASTY, presenter=MEMBER, duration=15)
    now = datetime(2027, 3, 18, 8, 0, tzinfo=UTC)
    message = send(session, "agenda_request", committee.channel, committee, meeting, now=now)
    text = visible(message)
    assert "Proposez vos sujets pour l'ordre du jour avant le " + token(DECK_DUE) in text
    assert "1. KPI de la semaine (prise d'appels, niveau de service, CSAT par groupe d'agents)" in text
    assert "4. *Revue des actions* — 1 ouverte, dont 1 en retard" in text
    assert (
        f"*A{late.id}* Former les nouveaux &lt;conseillers&gt; — <@{OWNER}>" in text and "en retard" in text
    )
    assert "Done already" not in text
    assert f"• {ESCAPED} — <@{MEMBER}> — 15 min" in text
    assert buttons(message) == [(ids.BTN_ADD_TOPIC, dump(MeetingRef(meeting_id=meeting.id)))]
    assert "Proposer un sujet" in text


def test_agenda_request_without_topics_says_so(session, pilot):
    committee, meeting = pilot
    message = send(
        session, "agenda_request", committee.channel, committee, meeting, now=START - timedelta(days=7)
    )
    text = visible(message)
    assert "Propose your agenda topics before" in text
    assert "No topic proposed yet." in text and "No open action." in text
    assert "*Action review* — 0 open" in text


def test_pre_meeting_notices_are_dropped_once_the_meeting_started(session, prod):
    committee, meeting = prod
    for kind, to in (
        ("agenda_request", committee.channel),
        ("deck_reminder", DECK),
        ("agenda_published", committee.channel),
        ("meeting_reminder", committee.channel),
        ("save_the_date", committee.channel),
    ):
        assert send(session, kind, to, committee, meeting, now=START) is None
        assert send(session, kind, to, committee, meeting, now=START - timedelta(minutes=1)) is not None


def test_nothing_but_the_cancellation_is_sent_for_a_cancelled_meeting(session, prod):
    committee, meeting = prod
    meeting.status = MeetingStatus.cancelled.value
    now = START - timedelta(days=2)
    for kind, to in (
        ("agenda_request", committee.channel),
        ("deck_reminder", DECK),
        ("meeting_reminder", committee.channel),
        ("minutes_request", SECRETARY),
        ("minutes_overdue", CHAIR),
        ("meeting_moved", committee.channel),
    ):
        assert send(session, kind, to, committee, meeting, now=now) is None
    assert send(session, "meeting_cancelled", committee.channel, committee, meeting, now=now) is not None


def test_an_expired_notification_is_not_built(session, prod):
    committee, meeting = prod
    row = h.notification(
        session, "agenda_request", committee.channel, committee, meeting, expires_at=START - timedelta(days=1)
    )
    assert build(session, row, now=START - timedelta(days=1)) is None


# -- deck_reminder -------------------------------------------------------------------------------


def test_deck_reminder_speaks_the_deck_owners_language_and_offers_mark_shared(session, prod):
    committee, meeting = prod
    h.user(session, DECK, locale="en-GB", tz="Europe/London")
    message = send(
        session, "deck_reminder", DECK, committee, meeting, now=datetime(2027, 3, 18, 8, 0, tzinfo=UTC)
    )
    text = visible(message)
    assert "The deck is due " + token(DECK_DUE) in text
    assert "Share it in <#C0PROD>" in text
    assert buttons(message) == [(ids.BTN_DECK_SHARED, dump(MeetingRef(meeting_id=meeting.id)))]
    assert "Mark deck shared" in text


def test_deck_reminder_in_french_when_the_owner_locale_is_unknown(session, prod):
    committee, meeting = prod
    h.user(session, DECK, locale="de-DE")
    message = send(
        session, "deck_reminder", DECK, committee, meeting, now=datetime(2027, 3, 18, 8, 0, tzinfo=UTC)
    )
    assert "Le support est attendu le " + token(DECK_DUE) in visible(message)


def test_deck_reminder_is_dropped_once_the_deck_is_shared(session, prod):
    committee, meeting = prod
    meeting.deck_shared_at = datetime(2027, 3, 17, 15, 0, tzinfo=UTC)
    assert (
        send(session, "deck_reminder", DECK, committee, meeting, now=datetime(2027, 3, 18, 8, 0, tzinfo=UTC))
        is None
    )


# -- agenda_published ----------------------------------------------------------------------------


def test_agenda_published_links_the_shared_deck(session, prod):
    committee, meeting = prod
    meeting.deck_shared_at = datetime(2027, 3, 18, 15, 0, tzinfo=UTC)
    meeting.deck_link = "https://drive.example.com/deck?id=1&v=2"
    message = send(session, "agenda_published", committee.channel, committee, meeting, now=DECK_DUE)
    text = visible(message)
    assert "*Ordre du jour — Comité de production — " + token(START) in text
    assert "*Support :* <https://drive.example.com/deck?id=1&amp;v=2|ouvrir>" in text
    assert "manquant" not in text
    assert message.also == []


def test_agenda_published_without_deck_says_so_and_tells_the_chair(session, prod):
    committee, meeting = prod
    h.user(session, CHAIR, locale="en-US")
    message = send(session, "agenda_published", committee.channel, committee, meeting, now=DECK_DUE)
    assert f":warning: *Support manquant :* il était attendu le {token(DECK_DUE)}" in visible(message)
    assert f"<@{DECK}>, merci de le partager" in visible(message)
    [(to, dm)] = message.also
    assert to == CHAIR
    assert "*Deck missing — Comité de production — " in visible(dm)
    assert f"<@{DECK}> has not shared it" in visible(dm)
    assert buttons(dm) == [(ids.BTN_DECK_SHARED, dump(MeetingRef(meeting_id=meeting.id)))]


# -- meeting_reminder ----------------------------------------------------------------------------


def test_meeting_reminder_has_agenda_previous_minutes_and_open_actions(session, prod):
    committee, meeting = prod
    previous = h.meeting(session, committee, START - timedelta(days=7))
    previous.minutes_posted_at = START - timedelta(days=5)
    previous.minutes_link = "https://docs.example.com/cr-16-mars"
    open_one = h.action(session, committee, title="Plan <B>")
    message = send(
        session, "meeting_reminder", committee.channel, committee, meeting, now=START - timedelta(hours=1)
    )
    text = visible(message)
    assert "*Comité de production commence dans 1 h*" in text
    assert (
        f"*Compte rendu précédent ({token(previous.start)}) :* <https://docs.example.com/cr-16-mars|ouvrir>"
        in text
    )
    assert f"*A{open_one.id}* Plan &lt;B&gt;" in text
    assert ":warning: *Support :* pas encore partagé" in text


def test_meeting_reminder_without_previous_minutes(session, pilot):
    committee, meeting = pilot
    message = send(
        session, "meeting_reminder", committee.channel, committee, meeting, now=START - timedelta(minutes=60)
    )
    assert "*Previous minutes:* none posted yet" in visible(message)
    assert "starts in 1 h" in message.text


# -- minutes -------------------------------------------------------------------------------------


def test_minutes_request_asks_the_secretary_with_a_submit_button(session, prod):
    committee, meeting = prod
    message = send(session, "minutes_request", SECRETARY, committee, meeting, now=END)
    text = visible(message)
    assert "avant le " + token(MINUTES_DUE) in text
    assert buttons(message) == [(ids.BTN_SUBMIT_MINUTES, dump(MeetingRef(meeting_id=meeting.id)))]
    assert "Déposer le compte rendu" in text


def test_minutes_request_and_reminder_are_dropped_once_submitted(session, prod):
    committee, meeting = prod
    meeting.minutes_submitted_at = END + timedelta(hours=2)
    assert (
        send(session, "minutes_request", SECRETARY, committee, meeting, now=END + timedelta(hours=3)) is None
    )
    assert (
        send(session, "minutes_reminder", SECRETARY, committee, meeting, now=END + timedelta(days=1)) is None
    )


def test_minutes_reminder_gives_the_time_left(session, pilot):
    committee, meeting = pilot
    message = send(
        session,
        "minutes_reminder",
        SECRETARY,
        committee,
        meeting,
        now=datetime(2027, 3, 24, 10, 0, tzinfo=UTC),
    )
    assert "The minutes are due " + token(MINUTES_DUE) + ": *1 day left*" in visible(message)
    later = send(
        session,
        "minutes_reminder",
        SECRETARY,
        committee,
        meeting,
        now=datetime(2027, 3, 25, 7, 30, tzinfo=UTC),
    )
    assert "*2 h 30 min left*" in visible(later)
    assert send(session, "minutes_reminder", SECRETARY, committee, meeting, now=MINUTES_DUE) is None


def test_minutes_overdue_names_the_secretary_before_submission(session, prod):
    committee, meeting = prod
    now = MINUTES_DUE + timedelta(days=1, hours=3)
    message = send(session, "minutes_overdue", committee.channel, committee, meeting, now=now, n=2, max=3)
    text = visible(message)
    assert "*1 jour 3 h de retard*" in text
    assert f"À rédiger et déposer par <@{SECRETARY}>." in text
    assert "Relance 2 sur 3" in text
    assert buttons(message) == []  # nothing to click in the channel
    assert (
        send(session, "minutes_overdue", CHAIR, committee, meeting, now=MINUTES_DUE - timedelta(minutes=1))
        is None
    )


def test_first_minutes_overdue_chase_at_the_deadline_says_it_is_reached(session, prod):
    committee, meeting = prod
    message = send(
        session, "minutes_overdue", committee.channel, committee, meeting, now=MINUTES_DUE, n=1, max=3
    )
    text = visible(message)
    assert "*l'échéance est atteinte*" in text
    assert "de retard" not in text


def test_minutes_overdue_goes_on_with_the_chair_while_approval_waits(session, pilot):
    committee, meeting = pilot
    meeting.minutes_submitted_at = MINUTES_DUE - timedelta(hours=1)
    meeting.minutes_submitted_by = SECRETARY
    message = send(
        session, "minutes_overdue", CHAIR, committee, meeting, now=MINUTES_DUE + timedelta(hours=5)
    )
    text = visible(message)
    assert "*5 h late*" in text
    assert f"Submitted by <@{SECRETARY}>; waiting for <@{CHAIR}>'s approval." in text
    value = dump(MeetingRef(meeting_id=meeting.id))
    assert buttons(message) == [(ids.BTN_MINUTES_APPROVE, value), (ids.BTN_MINUTES_CHANGES, value)]


def test_minutes_overdue_stops_once_posted(session, pilot):
    committee, meeting = pilot
    meeting.minutes_submitted_at = MINUTES_DUE - timedelta(hours=1)
    meeting.minutes_approved_at = meeting.minutes_posted_at = MINUTES_DUE + timedelta(hours=1)
    assert (
        send(session, "minutes_overdue", CHAIR, committee, meeting, now=MINUTES_DUE + timedelta(days=1))
        is None
    )


def submitted(session, committee, meeting, *, at=END + timedelta(hours=4)):
    meeting.minutes_submitted_at = at
    meeting.minutes_submitted_by = SECRETARY
    meeting.minutes_text = "Résumé : " + NASTY
    meeting.minutes_attendees = [CHAIR, SECRETARY]
    meeting.minutes_link = "https://docs.example.com/cr"
    meeting.status = MeetingStatus.held.value
    h.decision(session, meeting, "Renfort de 3 conseillers & <formation>", at)
    return h.action(
        session, committee, title="Recruter <3>", meeting_id=meeting.id, owner=MEMBER, due=date(2027, 4, 2)
    )


def test_minutes_approval_shows_the_draft_and_approve_or_change_buttons(session, pilot):
    committee, meeting = pilot
    created = submitted(session, committee, meeting)
    message = send(session, "minutes_approval", CHAIR, committee, meeting, now=END + timedelta(hours=4))
    text = visible(message)
    assert f"<@{SECRETARY}> submitted the draft below" in text
    assert "Résumé : " + ESCAPED in text
    assert "• Renfort de 3 conseillers &amp; &lt;formation&gt;" in text
    assert f"*A{created.id}* Recruter &lt;3&gt; — <@{MEMBER}>" in text
    assert f"*Attendees:* <@{CHAIR}>, <@{SECRETARY}>" in text
    assert "*Full minutes:* <https://docs.example.com/cr|open>" in text
    value = dump(MeetingRef(meeting_id=meeting.id))
    assert buttons(message) == [(ids.BTN_MINUTES_APPROVE, value), (ids.BTN_MINUTES_CHANGES, value)]


def test_minutes_approval_is_dropped_once_approved(session, pilot):
    committee, meeting = pilot
    submitted(session, committee, meeting)
    meeting.minutes_approved_at = END + timedelta(hours=5)
    assert send(session, "minutes_approval", CHAIR, committee, meeting, now=END + timedelta(hours=6)) is None


def test_minutes_posted_in_the_channel_with_everything(session, prod):
    committee, meeting = prod
    created = submitted(session, committee, meeting)
    message = send(
        session, "minutes_posted", committee.channel, committee, meeting, now=END + timedelta(hours=4)
    )
    text = visible(message)
    assert "*Compte rendu — Comité de production — " + token(START) in text
    assert "*Synthèse*\nRésumé : " + ESCAPED in text
    assert "*Décisions*\n• Renfort de 3 conseillers &amp; &lt;formation&gt;" in text
    assert f"*A{created.id}* Recruter &lt;3&gt;" in text
    assert f"*Participants :* <@{CHAIR}>, <@{SECRETARY}>" in text
    assert buttons(message) == []


def test_minutes_posted_waits_for_the_approval(session, pilot):
    committee, meeting = pilot
    submitted(session, committee, meeting)
    assert (
        send(session, "minutes_posted", committee.channel, committee, meeting, now=END + timedelta(hours=5))
        is None
    )
    meeting.minutes_approved_at = END + timedelta(hours=6)
    assert (
        send(session, "minutes_posted", committee.channel, committee, meeting, now=END + timedelta(hours=6))
        is not None
    )


def test_long_minutes_are_split_within_slack_limits(session, prod):
    committee, meeting = prod
    submitted(session, committee, meeting)
    meeting.minutes_text = "\n".join(f"Point {i}: " + "x" * 200 for i in range(100))
    message = send(
        session, "minutes_posted", committee.channel, committee, meeting, now=END + timedelta(hours=4)
    )
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    assert sum("Point " in s for s in sections) > 1  # several sections of at most 3,000 characters each
    assert "Point 0:" in visible(message)


def test_changes_requested_tells_the_secretary_the_comment(session, pilot):
    committee, meeting = pilot
    message = send(
        session,
        "minutes_changes_requested",
        SECRETARY,
        committee,
        meeting,
        now=END + timedelta(hours=6),
        by=CHAIR,
        comment="Ajouter le <budget>\n& les chiffres",
    )
    text = visible(message)
    assert f"<@{CHAIR}> asked for changes before approving:" in text
    assert "> Ajouter le &lt;budget&gt;\n> &amp; les chiffres" in text
    assert "by " + token(MINUTES_DUE) in text
    assert buttons(message) == [(ids.BTN_SUBMIT_MINUTES, dump(MeetingRef(meeting_id=meeting.id)))]
    meeting.minutes_submitted_at = END + timedelta(hours=7)
    assert (
        send(
            session,
            "minutes_changes_requested",
            SECRETARY,
            committee,
            meeting,
            now=END + timedelta(hours=8),
            by=CHAIR,
        )
        is None
    )


# -- meeting_moved / meeting_cancelled -----------------------------------------------------------


def test_meeting_moved_shows_old_and_new_time_with_the_committee_zone(session, prod):
    committee, meeting = prod
    old = meeting.start
    meeting.start = START + timedelta(days=1, hours=4)
    meeting.end = meeting.start + timedelta(hours=1)
    meeting.status = MeetingStatus.moved.value
    data = {"original_start": old.isoformat(), "start": meeting.start.isoformat()}
    message = send(
        session, "meeting_moved", committee.channel, committee, meeting, now=START - timedelta(days=3), **data
    )
    text = visible(message)
    assert f"~{token(old)}" in text and f"*{token(meeting.start)}" in text
    assert "2027-03-24 14:00, heure de Europe/Paris" in text


def test_meeting_moved_twice_shows_the_originally_scheduled_slot_not_the_intermediate_one(session, prod):
    committee, meeting = prod
    first_move = START + timedelta(days=1)
    meeting.start, meeting.end = START + timedelta(days=2), START + timedelta(days=2, hours=1)
    meeting.status = MeetingStatus.moved.value
    data = {"original_start": START.isoformat(), "start": meeting.start.isoformat()}
    text = visible(
        send(
            session,
            "meeting_moved",
            committee.channel,
            committee,
            meeting,
            now=START - timedelta(days=3),
            **data,
        )
    )
    assert f"~{token(START)}" in text and token(meeting.start) in text and token(first_move) not in text


def test_meeting_cancelled_gives_the_escaped_reason(session, pilot):
    committee, meeting = pilot
    meeting.status = MeetingStatus.cancelled.value
    message = send(
        session,
        "meeting_cancelled",
        committee.channel,
        committee,
        meeting,
        now=START - timedelta(days=2),
        reason=NASTY,
    )
    text = visible(message)
    assert "*Steering committee — " + token(START) in text and "is cancelled*" in text
    assert ESCAPED in text
    meeting.status = MeetingStatus.scheduled.value
    assert (
        send(
            session, "meeting_cancelled", committee.channel, committee, meeting, now=START - timedelta(days=2)
        )
        is None
    )


# -- action chases -------------------------------------------------------------------------------


def action_buttons(action_id: int) -> list[tuple[str, str]]:
    ref = dump(ActionRef(action_id=action_id))
    return [
        (ids.BTN_ACTION_DONE, ref),
        (ids.BTN_ACTION_PROGRESS, ref),
        (ids.BTN_ACTION_POSTPONE, ref),
        (ids.BTN_ACTION_MUTE, ref),
        (ids.BTN_ACTION_REASSIGN, ref),
    ]


DUE = date(2027, 3, 26)  # a Friday


def test_action_due_soon_reminds_the_owner_with_every_button(session, prod):
    committee, _ = prod
    h.user(session, OWNER, locale="fr-FR", tz="America/Montreal")
    item = h.action(session, committee, title=NASTY, due=DUE)
    message = send(
        session,
        "action_due_soon",
        OWNER,
        committee,
        action=item,
        now=datetime(2027, 3, 25, 13, 0, tzinfo=UTC),
        due=DUE.isoformat(),
    )
    text = visible(message)
    assert "arrive à échéance le <!date^" in text
    assert ESCAPED in text
    assert buttons(message) == action_buttons(item.id)
    assert message.text.startswith(f"L'action A{item.id} arrive à échéance")


def test_action_overdue_says_how_late(session, pilot):
    committee, _ = pilot
    item = h.action(session, committee, due=DUE)
    message = send(
        session,
        "action_overdue",
        OWNER,
        committee,
        action=item,
        now=datetime(2027, 3, 30, 8, 0, tzinfo=UTC),
        due=DUE.isoformat(),
        chase=2,
    )
    assert "*4 days overdue*" in visible(message)
    assert buttons(message) == action_buttons(item.id)


def test_action_escalation_goes_to_the_chair(session, prod):
    committee, _ = prod
    item = h.action(session, committee, due=DUE)
    now = datetime(2027, 4, 5, 7, 0, tzinfo=UTC)
    message = send(
        session,
        "action_escalation",
        CHAIR,
        committee,
        action=item,
        now=now,
        due=DUE.isoformat(),
        chase=3,
        owner=OWNER,
    )
    text = visible(message)
    assert f"Cette action de <@{OWNER}>" in text and "*10 jours de retard* après 3 relances" in text
    assert buttons(message) == action_buttons(item.id)


@pytest.mark.parametrize(
    "change",
    ["done", "cancelled", "snoozed", "redated", "reassigned"],
)
def test_action_chase_is_dropped_when_no_longer_needed(session, prod, change):
    committee, _ = prod
    item = h.action(session, committee, due=DUE)
    now = datetime(2027, 3, 30, 8, 0, tzinfo=UTC)
    if change == "done":
        item.status, item.closed_at = ActionStatus.done.value, now - timedelta(days=1)
    elif change == "cancelled":
        item.status = ActionStatus.cancelled.value
    elif change == "snoozed":
        item.snoozed_until = date(2027, 4, 2)
    elif change == "redated":
        item.due = date(2027, 4, 9)
    elif change == "reassigned":
        item.owner = MEMBER
    assert (
        send(session, "action_overdue", OWNER, committee, action=item, now=now, due=DUE.isoformat()) is None
    )


@pytest.mark.parametrize("absence", ["owner_away", "owner_deactivated"])
def test_an_absent_owners_chase_is_still_built_the_tick_decides_when_due(session, prod, absence):
    """An absence can end early without a re-plan: the chase stays needed (a change's refresh must
    not skip it ahead of time); the tick skips it when due and tells the chair (test_tick.py)."""
    committee, _ = prod
    item = h.action(session, committee, due=DUE)
    now = datetime(2027, 3, 30, 8, 0, tzinfo=UTC)
    if absence == "owner_away":
        h.user(session, OWNER, away_until=date(2027, 3, 30))
    else:
        h.user(session, OWNER, deleted=True)
    message = send(session, "action_overdue", OWNER, committee, action=item, now=now, due=DUE.isoformat())
    assert message is not None and buttons(message) == action_buttons(item.id)


def test_action_chases_keep_to_their_side_of_the_due_date(session, prod):
    committee, _ = prod
    item = h.action(session, committee, due=DUE)
    after = datetime(2027, 3, 29, 8, 0, tzinfo=UTC)
    before = datetime(2027, 3, 25, 8, 0, tzinfo=UTC)
    assert (
        send(session, "action_due_soon", OWNER, committee, action=item, now=after, due=DUE.isoformat())
        is None
    )
    assert (
        send(session, "action_overdue", OWNER, committee, action=item, now=before, due=DUE.isoformat())
        is None
    )
    snooze_over = datetime(2027, 3, 31, 8, 0, tzinfo=UTC)
    item.snoozed_until = date(2027, 3, 31)
    assert (
        send(session, "action_overdue", OWNER, committee, action=item, now=snooze_over, due=DUE.isoformat())
        is not None
    )


def test_escalation_is_dropped_once_the_action_changed_hands(session, prod):
    committee, _ = prod
    item = h.action(session, committee, due=DUE, owner=MEMBER)
    now = datetime(2027, 4, 5, 7, 0, tzinfo=UTC)
    assert (
        send(
            session,
            "action_escalation",
            CHAIR,
            committee,
            action=item,
            now=now,
            due=DUE.isoformat(),
            owner=OWNER,
        )
        is None
    )


# -- owner_unreachable ---------------------------------------------------------------------------


def test_owner_unreachable_tells_the_chair_with_reassign_buttons(session, pilot):
    committee, _ = pilot
    h.user(session, OWNER, away_until=date(2027, 4, 9))
    first = h.action(session, committee, title="First <one>", due=date(2027, 3, 26))
    second = h.action(session, committee, title="Second", due=date(2027, 4, 2))
    h.action(session, committee, title="Someone else's", owner=MEMBER)
    message = send(
        session,
        "owner_unreachable",
        CHAIR,
        committee,
        now=datetime(2027, 3, 22, 8, 0, tzinfo=UTC),
        owner=OWNER,
    )
    text = visible(message)
    assert f"*<@{OWNER}> cannot be reached* — away until <!date^" in text
    assert "their 2 open action items of *Steering committee*" in text
    assert "First &lt;one&gt;" in text and "Second" in text and "Someone else" not in text
    assert buttons(message) == [
        (ids.BTN_ACTION_REASSIGN, dump(ActionRef(action_id=first.id))),
        (ids.BTN_ACTION_REASSIGN, dump(ActionRef(action_id=second.id))),
    ]


def test_owner_unreachable_is_dropped_when_the_owner_is_back(session, prod):
    committee, _ = prod
    h.user(session, OWNER, away_until=date(2027, 3, 19))
    h.action(session, committee)
    assert (
        send(
            session,
            "owner_unreachable",
            CHAIR,
            committee,
            now=datetime(2027, 3, 22, 8, 0, tzinfo=UTC),
            owner=OWNER,
        )
        is None
    )


def test_owner_unreachable_for_a_deactivated_account_in_french(session, prod):
    committee, _ = prod
    h.user(session, OWNER, deleted=True)
    item = h.action(session, committee)
    message = send(
        session,
        "owner_unreachable",
        CHAIR,
        committee,
        action=item,
        now=datetime(2027, 3, 22, 8, 0, tzinfo=UTC),
    )
    assert "son compte Slack est désactivé" in visible(message)
    assert "réattribuez-la" in visible(message)


# -- delivery_failed -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        ("not_in_channel", "Invitez-moi : tapez `/invite @committee-bot` dans le canal"),
        ("is_archived", "le canal a été archivé. Les administrateurs de l'espace de travail sont prévenus"),
        ("channel_not_found", "le canal du comité n'existe plus"),
        ("weird_<error>", "Slack a refusé le message (`weird_&lt;error&gt;`)"),
    ],
)
def test_delivery_failed_tells_the_chair_what_where_and_why(session, prod, error, advice):
    committee, _ = prod
    message = send(
        session,
        "delivery_failed",
        CHAIR,
        committee,
        now=START,
        kind="agenda_published",
        to="C0PROD",
        error=error,
    )
    text = visible(message)
    assert "l'envoi « ordre du jour » vers <#C0PROD>" in text
    assert advice in text


def test_delivery_failed_for_a_direct_message_in_english(session, pilot):
    committee, _ = pilot
    message = send(
        session,
        "delivery_failed",
        CHAIR,
        committee,
        now=START,
        kind="action_overdue",
        to=OWNER,
        error="account_inactive",
    )
    assert (
        f"I could not post the overdue action reminder to <@{OWNER}>: that person's Slack account has been deactivated"
        in visible(message)
    )


# -- limits and contract -------------------------------------------------------------------------


def test_long_agendas_are_cut_with_and_n_more(session, pilot):
    committee, meeting = pilot
    for i in range(40):
        h.topic(session, meeting, f"Topic {i} " + "y" * 100)
    for i in range(30):
        h.action(session, committee, title=f"Action {i} " + "z" * 20)
    message = send(
        session, "agenda_request", committee.channel, committee, meeting, now=START - timedelta(days=3)
    )
    text = visible(message)
    assert "_and 20 more_" in text  # 20 topics shown of 40
    assert "_and 15 more_" in text  # 15 actions shown of 30


def test_french_lists_are_cut_with_et_n_de_plus(session, prod):
    committee, meeting = prod
    for i in range(25):
        h.topic(session, meeting, f"Sujet {i}")
    message = send(
        session, "agenda_request", committee.channel, committee, meeting, now=START - timedelta(days=3)
    )
    assert "_et 5 de plus_" in visible(message)


def test_unknown_kind_is_a_planning_bug(session, prod):
    committee, meeting = prod
    row = h.notification(session, "fax_the_minutes", committee.channel, committee, meeting)
    with pytest.raises(ValueError, match="unknown notification kind 'fax_the_minutes'"):
        build(session, row, now=START)


def test_inactive_committee_gets_nothing(session, prod):
    committee, meeting = prod
    committee.active = False
    assert (
        send(session, "agenda_request", committee.channel, committee, meeting, now=START - timedelta(days=3))
        is None
    )


def test_weekly_digest_kind_builds_the_digest(session, prod):
    committee, _ = prod
    message = send(
        session,
        "weekly_digest",
        committee.channel,
        committee,
        now=datetime(2027, 3, 22, 8, 0, tzinfo=UTC),
        week="2027-03-22",
    )
    assert "*Synthèse hebdomadaire — Comité de production*" in visible(message)


def test_build_many_matches_build_and_renders_digests_together(session, prod, pilot):
    committee, meeting = prod
    other, _ = pilot
    now = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)
    rows = [
        h.notification(session, "weekly_digest", committee.channel, committee),
        h.notification(session, "agenda_request", committee.channel, committee, meeting),
        h.notification(session, "weekly_digest", other.channel, other, expires_at=now),
        h.notification(session, "weekly_digest", other.channel, other),
    ]
    assert build_many(session, rows, now=now) == [build(session, row, now=now) for row in rows]
    assert build_many(session, rows, now=now)[2] is None


# -- posted messages kept current (the dispatcher's refresh) -------------------------------------


def sent(row):
    row.state, row.ts = "sent", "1700000000.000100"
    return row


def test_a_posted_chase_shows_the_action_done_without_buttons(session, prod):
    committee, _ = prod
    item = h.action(session, committee, due=DUE)
    row = sent(h.notification(session, "action_overdue", OWNER, committee, None, item, due=DUE.isoformat()))
    now = datetime(2027, 3, 30, 8, 0, tzinfo=UTC)
    assert buttons(build(session, row, now=now)) == action_buttons(item.id)  # still open: as posted
    item.status, item.closed_at = ActionStatus.done.value, now
    message = build(session, row, now=now)
    assert ":white_check_mark: Terminée — plus rien à faire." in visible(message)
    assert f"*A{item.id}*" in visible(message)
    assert buttons(message) == []


def test_a_posted_chase_shows_the_snooze_and_the_new_date(session, prod):
    committee, _ = prod
    item = h.action(session, committee, due=DUE)
    row = sent(h.notification(session, "action_overdue", OWNER, committee, None, item, due=DUE.isoformat()))
    now = datetime(2027, 3, 30, 8, 0, tzinfo=UTC)
    item.snoozed_until = date(2027, 4, 6)
    assert ":zzz: Relances suspendues jusqu'au <!date^" in visible(build(session, row, now=now))
    item.due = date(2027, 4, 9)
    assert ":calendar: Nouvelle échéance : <!date^" in visible(build(session, row, now=now))


def test_a_posted_deck_reminder_shows_the_deck_shared(session, prod):
    committee, meeting = prod
    row = sent(h.notification(session, "deck_reminder", DECK, committee, meeting))
    meeting.deck_shared_at = datetime(2027, 3, 18, 9, 0, tzinfo=UTC)
    meeting.deck_link = "https://drive.example.com/d"
    message = build(session, row, now=datetime(2027, 3, 18, 10, 0, tzinfo=UTC))
    assert (
        f"Support partagé le {token(meeting.deck_shared_at)} : <https://drive.example.com/d|ouvrir>"
        in visible(message)
    )
    assert buttons(message) == []


def test_a_posted_approval_request_shows_the_outcome(session, pilot):
    committee, meeting = pilot
    submitted(session, committee, meeting)
    row = sent(h.notification(session, "minutes_approval", CHAIR, committee, meeting, submitted_by=SECRETARY))
    meeting.minutes_approved_at = END + timedelta(hours=6)
    assert "Minutes approved " + token(meeting.minutes_approved_at) in visible(
        build(session, row, now=END + timedelta(hours=7))
    )
    meeting.minutes_approved_at, meeting.minutes_submitted_at = None, None  # sent back instead
    assert f"Sent back to <@{SECRETARY}> for changes." in visible(
        build(session, row, now=END + timedelta(hours=7))
    )


def test_a_posted_agenda_shows_the_cancellation_but_stays_after_the_meeting(session, prod):
    committee, meeting = prod
    row = sent(h.notification(session, "agenda_request", committee.channel, committee, meeting))
    assert build(session, row, now=START + timedelta(hours=2)) is None  # over: the message stays as posted
    meeting.status = MeetingStatus.cancelled.value
    message = build(session, row, now=START - timedelta(days=1))
    assert "Cette réunion a été annulée" in visible(message)
    assert buttons(message) == []


def test_every_planned_and_event_kind_has_a_builder():

    assert set(notices_message.EVENT_KINDS) == set(meetings.EVENT_KINDS)
    assert set(kinds.PLANNED_KINDS) | set(meetings.EVENT_KINDS) <= set(notices.BUILDERS)


def test_minutes_overdue_sentences_are_not_glued_together(session, prod, pilot):
    """The 'how late' sentence and the 'who owes it' sentence stay apart (space or new line), fr and en."""
    committee, meeting = prod
    french = visible(
        send(session, "minutes_overdue", committee.channel, committee, meeting, now=MINUTES_DUE, n=1, max=3)
    )
    assert "*l'échéance est atteinte*.\nÀ rédiger et déposer par" in french
    committee, meeting = pilot
    late = visible(
        send(
            session,
            "minutes_overdue",
            committee.channel,
            committee,
            meeting,
            now=MINUTES_DUE + timedelta(hours=5),
        )
    )
    assert "*5 h late*.\nOwed by" in late


def test_deck_reminder_counts_the_deadline_in_business_days_not_48_hours(session, prod):
    """Deck due is N business days before T (Fri 19 for Tue 23 March: four days, not 48 hours)."""
    committee, meeting = prod
    text = visible(
        send(session, "deck_reminder", DECK, committee, meeting, now=datetime(2027, 3, 18, 8, 0, tzinfo=UTC))
    )
    assert "48" not in text
    assert "(2 jours ouvrés avant la réunion)" in text
    committee.locale = "en"
    committee.timeline = {"deck_due": {"business_days": 1}}
    h.user(session, DECK, locale="en-US")
    text = visible(
        send(session, "deck_reminder", DECK, committee, meeting, now=datetime(2027, 3, 18, 8, 0, tzinfo=UTC))
    )
    assert "(1 business day before the meeting)" in text


def test_a_meeting_reminder_caught_up_in_the_last_minute_never_says_0_min(session, pilot, prod):
    """Sent 30 s before T (a catch-up): 'starts in less than a minute', not 'starts in 0 min'."""
    committee, meeting = pilot
    english = visible(
        send(
            session,
            "meeting_reminder",
            committee.channel,
            committee,
            meeting,
            now=START - timedelta(seconds=30),
        )
    )
    assert "0 min" not in english and "starts in less than a minute" in english
    committee, meeting = prod
    french = visible(
        send(
            session,
            "meeting_reminder",
            committee.channel,
            committee,
            meeting,
            now=START - timedelta(seconds=30),
        )
    )
    assert "0 min" not in french and "commence dans moins d'une minute" in french
