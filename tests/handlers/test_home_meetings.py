"""The App Home's meeting sections over real signed HTTP (issue 9 point 9): items name their committee,
decks I owe carry Mark deck shared, the chair sees minutes waiting for approval with their buttons,
and the next meetings come from the calendar, each committee's next one included, before any tick.

The app's clock is Tuesday 16 March 2027, 09:00 in Paris.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.slack import ids
from bot.slack.payloads import MeetingRef, load
from storage.models import Committee, CommitteeMember, Meeting
from tests.support.fakeslack import blocks_text
from tests.support.slackapp import (
    CHAIR,
    DECK,
    MARIE,
    SECRETARY,
    SlackApp,
    find_element,
)

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def epoch(moment: datetime) -> str:
    return f"<!date^{int(moment.timestamp())}^"


def home_of(app: SlackApp, user: str) -> dict[str, Any]:
    app.fake.home.pop(user, None)
    assert app.home_opened(user).status == 200
    return app.home(user)


def add_strategic(app: SlackApp) -> None:
    """A semi-annual committee Marie sits on, next meeting on Thursday 10 June 2027."""
    with Session(app.engine) as session:
        committee = Committee(
            key="strategique", name="Comité stratégique", kind="strategique", channel="C0STRAT",
            cadence="semiannual", first=datetime(2026, 12, 10, 14, 0), duration=180,
            timezone="Europe/Paris", locale="fr", chair=CHAIR, secretary=SECRETARY, deck_owner=DECK,
            feed_token="feed-strat-0123456789",
        )  # fmt: skip
        session.add(committee)
        session.flush()
        session.add(CommitteeMember(committee_id=committee.id, user_id=MARIE))  # type: ignore[arg-type]
        session.commit()


def test_next_meetings_come_from_the_calendar_with_each_committees_next_one(slack_app: SlackApp) -> None:
    """ "Upcoming meetings show only after the first tick and 14 days ahead (a semi-annual committee
    appears two weeks before)"."""
    add_strategic(slack_app)
    text = blocks_text(home_of(slack_app, MARIE)["blocks"])
    assert epoch(paris(2027, 3, 16, 10, 0)) in text  # the weekly committee's next meeting
    assert epoch(paris(2027, 6, 10, 14, 0)) in text and "Comité stratégique" in text  # three months ahead


def test_decks_i_owe_carry_mark_deck_shared(slack_app: SlackApp) -> None:
    home = home_of(slack_app, DECK)
    block, button = find_element(home["blocks"], ids.BTN_DECK_SHARED)
    assert "support à partager" in blocks_text([block]) and "Comité de production" in blocks_text([block])
    with Session(slack_app.engine) as session:
        meeting = session.get(Meeting, load(MeetingRef, button["value"]).meeting_id)
        assert meeting is not None and meeting.start == paris(2027, 3, 16, 10, 0)
    response = slack_app.click(block, button, user=DECK, home=True)
    assert response.status == 200
    assert slack_app.modal()["callback_id"] == ids.VIEW_DECK


def test_the_chair_sees_minutes_waiting_for_approval_with_their_buttons(slack_app: SlackApp) -> None:
    with Session(slack_app.engine) as session:
        committee = session.get(Committee, slack_app.committees["production"])
        committee.minutes_approval = True  # type: ignore[union-attr]
        session.add(committee)
        session.commit()
    slack_app.command("minutes", user=SECRETARY, command="/committee")
    slack_app.submit(
        slack_app.modal(),
        {"summary": {"type": "plain_text_input", "value": "KPI en hausse."}},
        user=SECRETARY,
    )
    slack_app.wait(lambda: "Comptes rendus à valider" in blocks_text(slack_app.home(CHAIR)["blocks"]))
    home = home_of(slack_app, CHAIR)
    assert "Comptes rendus à valider" in blocks_text(home["blocks"])
    block, approve = find_element(home["blocks"], ids.BTN_MINUTES_APPROVE)
    find_element(home["blocks"], ids.BTN_MINUTES_CHANGES)
    assert load(MeetingRef, approve["value"]).version == 1
    slack_app.click(block, approve, user=CHAIR, home=True)

    def approved() -> Meeting | None:
        with Session(slack_app.engine) as session:
            return session.exec(select(Meeting).where(Meeting.minutes_approved_at.is_not(None))).first()  # type: ignore[union-attr]

    assert slack_app.wait(approved, what="the minutes approved").start == paris(2027, 3, 9, 10, 0)


def test_app_home_items_name_their_committee(slack_app: SlackApp) -> None:
    slack_app.make_action(title="Relancer le plan", owner=MARIE)
    home = home_of(slack_app, MARIE)
    _block, _done = find_element(home["blocks"], "action_done")
    item = next(b for b in home["blocks"] if "Relancer le plan" in blocks_text([b]))
    assert "Comité de production" in blocks_text([item])
