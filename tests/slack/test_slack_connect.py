"""Slack Connect (SPEC §11): the production channel is shared with the other organisation, whose
people hold the committee's roles. They get their DMs, timed in the committee's zone (Slack gives no
time zone for a stranger); every step they take is a button (they have no slash commands), and
buttons pressed by a user of another team work. A private channel whose id changed when it became
shared is reported with the fix. Also ``/action export``: the tracker sent by DM as an xlsx file.

Everything goes through the running app over signed HTTP and the dispatcher, against the fake Slack.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from openpyxl import load_workbook
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.delivery import tick as delivery
from bot.slack import ids
from bot.slack.payloads import MeetingRef, dump
from bot.slack.users import person
from storage.models import ActionItem, Committee, Meeting, Notification, SlackUser
from tests.support.fakeslack import Message, blocks_text
from tests.support.slackapp import ADMIN, ANNA, CHAIR, NOW, PROD, SlackApp, find_element

OTHER_TEAM = "T0OTHER"
EXT_CHAIR, EXT_SEC, EXT_DECK, EXT_OWNER = "U0XCHAIR", "U0XSEC", "U0XDECK", "U0XOWNER"
# The committee meets on Tuesdays at 10:00 London time once it is moved there (see ``connect``).
THURSDAY_0900_LONDON = datetime(2027, 3, 18, 9, 0, tzinfo=UTC)
MEETING_END = datetime(2027, 3, 23, 11, 0, tzinfo=UTC)


def connect(app: SlackApp, *, channel: str = PROD) -> None:
    """Share the production channel with the other organisation and give its people the roles.

    The committee's zone is London (the workspace's is Paris), so times prove which zone served.
    """
    for user, name in ((EXT_CHAIR, "Claire Client"), (EXT_SEC, "Sam Secretary"), (EXT_DECK, "Dee Deck"),
                       (EXT_OWNER, "Olly Owner")):  # fmt: skip
        app.fake.add_external_user(user, team_id=OTHER_TEAM, name=name)
    app.fake.share_channel(channel, with_team=OTHER_TEAM)
    with Session(app.engine) as session:
        committee = session.get(Committee, app.committees["production"])
        assert committee is not None
        committee.chair, committee.secretary, committee.deck_owner = EXT_CHAIR, EXT_SEC, EXT_DECK
        committee.timezone, committee.minutes_approval, committee.channel = "Europe/London", True, channel
        session.add(committee)
        session.commit()


def client(app: SlackApp) -> WebClient:
    return WebClient(token="xoxb-test", base_url=app.fake.api_url, retry_handlers=[])


def tick(app: SlackApp, now: datetime) -> None:
    delivery.tick(app.engine, client(app), now=now, worker="test", sleep=lambda _s: None, concurrency=1)


def press_as_external(
    app: SlackApp, message: Message, action_id: str, *, user: str, value: str | None = None
) -> None:
    """Press a button of ``message`` as ``user``, a member of the other organisation: Slack then
    sends their own team in ``user.team_id`` (and ``team``)."""
    block, element = find_element(message.blocks, action_id)
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": OTHER_TEAM},
        "api_app_id": "A0APP",
        "team": {"id": OTHER_TEAM, "domain": "other"},
        "is_enterprise_install": False,
        "trigger_id": app.trigger(),
        "container": {"type": "message", "channel_id": message.channel, "message_ts": message.ts},
        "channel": {"id": message.channel, "name": "x"},
        "message": {"ts": message.ts, "blocks": message.blocks},
        "response_url": app.fake.response_url(message.channel, user),
        "actions": [
            {
                "action_id": element["action_id"],
                "block_id": block.get("block_id", ""),
                "type": element["type"],
                "value": value if value is not None else element.get("value", ""),
                "action_ts": "1800000000.1",
            }
        ],
    }
    if element["type"] != "button":
        payload["actions"][0]["selected_option"] = element["options"][0]
    assert app.sender.interaction(payload).status == 200


def action_ids(message: Message) -> set[str]:
    found = set()
    for block in message.blocks:
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
            if isinstance(element, dict) and "action_id" in element:
                found.add(element["action_id"])
    return found


def dm(app: SlackApp, user: str, *, containing: str | None = None) -> Message:
    messages = [m for m in app.fake.messages(user) if containing is None or containing in action_ids(m)]
    assert messages, f"no DM to {user} with {containing}: {[m.text for m in app.fake.messages(user)]}"
    return messages[-1]


def test_external_members_get_their_dms_timed_in_the_committee_zone(slack_app: SlackApp) -> None:
    connect(slack_app)
    slack_app.command(f"add <@{EXT_OWNER}> Envoyer le planning du week-end by 2027-03-19", user=CHAIR)
    slack_app.wait(slack_app.actions, what="the item")

    stranger = slack_app.user(EXT_OWNER)
    assert stranger is not None and stranger.tz is None and stranger.team_id == OTHER_TEAM
    assert stranger.name == "Olly Owner"
    tick(slack_app, THURSDAY_0900_LONDON)

    with Session(slack_app.engine) as session:
        (due_soon,) = session.exec(select(Notification).where(Notification.kind == "action_due_soon")).all()
    # 09:00 in London (the committee's zone), not 09:00 in Paris (the workspace's, 08:00 UTC).
    assert due_soon.due_at == THURSDAY_0900_LONDON and due_soon.state == "sent"
    assert "Envoyer le planning" in blocks_text(dm(slack_app, EXT_OWNER).blocks)
    assert dm(slack_app, EXT_DECK, containing=ids.BTN_DECK_SHARED)


def test_every_step_of_an_external_member_is_a_button_that_works(slack_app: SlackApp) -> None:
    connect(slack_app)
    slack_app.command(f"add <@{EXT_OWNER}> Envoyer le planning du week-end by 2027-03-19", user=CHAIR)
    slack_app.wait(slack_app.actions, what="the item")
    tick(slack_app, THURSDAY_0900_LONDON)
    tick(slack_app, MEETING_END)

    # The action chase: Done, Update progress, Postpone, Mute reminders.
    chase = dm(slack_app, EXT_OWNER, containing=ids.BTN_ACTION_DONE)
    assert {
        ids.BTN_ACTION_DONE,
        ids.BTN_ACTION_PROGRESS,
        ids.BTN_ACTION_POSTPONE,
        ids.BTN_ACTION_MUTE,
    } <= action_ids(chase)
    press_as_external(slack_app, chase, ids.BTN_ACTION_PROGRESS, user=EXT_OWNER)
    assert slack_app.modal()["callback_id"] == ids.VIEW_PROGRESS
    press_as_external(slack_app, chase, ids.BTN_ACTION_POSTPONE, user=EXT_OWNER)
    assert slack_app.modal(after=1)["callback_id"] == ids.VIEW_POSTPONE
    press_as_external(slack_app, chase, ids.BTN_ACTION_DONE, user=EXT_OWNER)
    slack_app.wait(lambda: slack_app.actions()[0].status == "done", what="done by the external owner")

    # The agenda request in the shared channel: Add a topic.
    (request,) = [m for m in slack_app.fake.messages(PROD) if ids.BTN_ADD_TOPIC in action_ids(m)]
    press_as_external(slack_app, request, ids.BTN_ADD_TOPIC, user=EXT_OWNER)
    assert slack_app.modal(after=2)["callback_id"] == ids.VIEW_TOPIC

    # The deck reminder: Mark deck shared.
    reminder = dm(slack_app, EXT_DECK, containing=ids.BTN_DECK_SHARED)
    press_as_external(slack_app, reminder, ids.BTN_DECK_SHARED, user=EXT_DECK)
    assert slack_app.modal(after=3)["callback_id"] == ids.VIEW_DECK

    # The minutes request: Submit minutes (pressed for the meeting that is over at the app's clock).
    request = dm(slack_app, EXT_SEC, containing=ids.BTN_SUBMIT_MINUTES)
    last = _meeting(slack_app, NOW - timedelta(days=7, hours=-1), minutes=False)
    press_as_external(
        slack_app, request, ids.BTN_SUBMIT_MINUTES, user=EXT_SEC, value=dump(MeetingRef(meeting_id=last))
    )
    assert slack_app.modal(after=4)["callback_id"] == ids.VIEW_MINUTES

    # The approval request: Approve, by the chair from the other organisation (the DM as the
    # dispatcher sends it when minutes are submitted).
    submitted = _meeting(slack_app, NOW - timedelta(days=14, hours=-1), minutes=True)
    with Session(slack_app.engine) as session:
        session.add(
            Notification(
                key="approval-test",
                kind="minutes_approval",
                due_at=NOW,
                recipient=EXT_CHAIR,
                committee_id=slack_app.committees["production"],
                meeting_id=submitted,
            )
        )
        session.commit()
    tick(slack_app, NOW)
    approval = dm(slack_app, EXT_CHAIR, containing=ids.BTN_MINUTES_APPROVE)
    press_as_external(slack_app, approval, ids.BTN_MINUTES_APPROVE, user=EXT_CHAIR)
    slack_app.wait(lambda: _approved(slack_app, submitted), what="minutes approved by the external chair")


def _meeting(app: SlackApp, start: datetime, *, minutes: bool) -> int:
    with Session(app.engine) as session:
        fields: dict[str, Any] = {}
        if minutes:
            fields = {"minutes_text": "CR", "minutes_submitted_at": start + timedelta(hours=2),
                      "minutes_submitted_by": EXT_SEC}  # fmt: skip
        meeting = Meeting(committee_id=app.committees["production"], series_start=start, start=start,
                          end=start + timedelta(hours=1), **fields)  # fmt: skip
        session.add(meeting)
        session.commit()
        return meeting.id  # type: ignore[return-value]


def _approved(app: SlackApp, meeting_id: int) -> bool:
    with Session(app.engine) as session:
        meeting = session.get(Meeting, meeting_id)
        return meeting is not None and meeting.minutes_approved_at is not None


def test_a_private_channel_whose_id_changed_when_shared_is_reported_with_the_fix(slack_app: SlackApp) -> None:
    connect(slack_app, channel="G0OLDPROD")
    slack_app.fake.share_channel("C0NEWPROD", with_team=OTHER_TEAM, old_id="G0OLDPROD")

    tick(slack_app, THURSDAY_0900_LONDON)

    with Session(slack_app.engine) as session:
        failed = session.exec(select(Notification).where(Notification.recipient == "G0OLDPROD")).all()
    sent_or_failed = [row for row in failed if row.state != "pending"]
    assert sent_or_failed and all(
        row.state == "failed" and row.error == "channel_not_found" for row in sent_or_failed
    )
    # The admins get the fix (ops' problem reports); the chair a plain-words note.
    report = "\n".join(m.text + blocks_text(m.blocks) for m in slack_app.fake.messages(ADMIN))
    assert "Slack Connect" in report and "committee-bot config import" in report and "G0OLDPROD" in report
    assert slack_app.fake.messages(EXT_CHAIR)


def test_action_export_sends_the_tracker_as_xlsx_by_dm_in_the_requester_s_language(
    slack_app: SlackApp,
) -> None:
    slack_app.make_action(title="Relancer le plan", due=date(2027, 3, 19))
    slack_app.make_action(title="Chiffrer le renfort", due=date(2027, 3, 10))

    slack_app.command("export", user=CHAIR)
    reply = slack_app.reply_text(CHAIR)
    slack_app.command("export", user=ANNA)
    english = slack_app.reply_text(ANNA)

    assert "message direct" in reply and "2 actions" in reply
    assert "direct message" in english
    (french_file,) = slack_app.fake.uploaded(CHAIR)
    assert french_file.filename == "actions-production-2027-03-16.xlsx"
    sheet = load_workbook(io.BytesIO(french_file.content or b"")).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:3] == ["id", "comité", "intitulé"]
    assert [sheet["C2"].value, sheet["C3"].value] == ["Chiffrer le renfort", "Relancer le plan"]
    assert sheet["A2"].fill.fgColor.rgb.endswith("FFC7CE")  # due 10 March: overdue on the 16th
    (english_file,) = slack_app.fake.uploaded(ANNA)
    english_sheet = load_workbook(io.BytesIO(english_file.content or b"")).active
    assert english_sheet is not None and english_sheet["C1"].value == "title"


def test_slack_users_rows_keep_the_team_of_external_members(slack_app: SlackApp) -> None:
    connect(slack_app)
    slack_app.command(f"add <@{EXT_OWNER}> Envoyer le planning by 2027-03-19", user=CHAIR)
    slack_app.wait(slack_app.actions, what="the item")
    with Session(slack_app.engine) as session:
        owner = session.get(SlackUser, EXT_OWNER)
        item = session.exec(select(ActionItem)).one()
    assert owner is not None and owner.team_id == OTHER_TEAM and item.owner == EXT_OWNER


def test_a_stranger_is_addressed_in_the_zone_and_language_of_their_committee(slack_app: SlackApp) -> None:
    connect(slack_app)
    with Session(slack_app.engine) as session:
        committee = session.get(Committee, slack_app.committees["production"])
        assert committee is not None
        committee.locale = "en"
        session.add(committee)
        session.commit()

    found = person(slack_app.engine, client(slack_app), user_id=EXT_DECK, now=NOW)

    assert (found.tz, found.locale) == ("Europe/London", "en")  # the workspace says Paris and fr
