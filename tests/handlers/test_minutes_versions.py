"""Minutes versions over real signed HTTP: one live approval request per version, and posted minutes
amended (issue 9, "Why" bullet 3).

The app's clock is Tuesday 16 March 2027, 09:00 in Paris; the production committee's last meeting
was on 9 March, 10:00.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.delivery import tick as dispatch
from bot.slack import ids
from storage.models import ActionChange, ActionItem, Committee, Decision, Meeting, MinutesVersion
from tests.support.fakeslack import Message, blocks_text
from tests.support.slackapp import (
    CHAIR,
    MARIE,
    PAUL,
    PROD,
    SECRETARY,
    SlackApp,
    find_element,
)

PARIS = ZoneInfo("Europe/Paris")
LAST = datetime(2027, 3, 9, 10, 0, tzinfo=PARIS)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def tick(app: SlackApp, now: datetime) -> None:
    client = WebClient(token="xoxb-test", base_url=app.fake.api_url)
    dispatch.tick(app.engine, client, now=now, worker="test", sleep=lambda _s: None)


def committee(app: SlackApp, text: str, *, user: str, channel: str = PROD) -> None:
    response = app.command(text, user=user, channel=channel, command="/committee")
    assert response.status == 200, response.body


def require_approval(app: SlackApp) -> None:
    with Session(app.engine) as session:
        row = session.get(Committee, app.committees["production"])
        row.minutes_approval = True  # type: ignore[union-attr]
        session.add(row)
        session.commit()


def text_input(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def rich_text(*lines: list[dict[str, Any]]) -> dict[str, Any]:
    elements: list[dict[str, Any]] = []
    for n, line in enumerate(lines):
        elements.extend(line + ([{"type": "text", "text": "\n"}] if n < len(lines) - 1 else []))
    return {
        "type": "rich_text_input",
        "rich_text_value": {
            "type": "rich_text",
            "elements": [{"type": "rich_text_section", "elements": elements}],
        },
    }


def mention(user: str) -> dict[str, Any]:
    return {"type": "user", "user_id": user}


def words(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def block(modal: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in modal["blocks"] if b.get("block_id") == block_id)


def posted(app: SlackApp, kind: str, channel: str) -> list[Message]:
    return [m for m in app.fake.messages(channel) if f":{kind}" in json.dumps(m.metadata or {})]


def buttons(message: Message) -> list[dict[str, Any]]:
    return [e for b in message.blocks for e in b.get("elements", []) if e.get("type") == "button"]


def press(app: SlackApp, message: Message, action_id: str, *, user: str) -> None:
    found_block, element = find_element(message.blocks, action_id)
    response = app.click(found_block, element, user=user, channel=message.channel)
    assert response.status == 200, response.body


def rows(app: SlackApp, model: Any) -> list[Any]:
    with Session(app.engine) as session:
        return list(session.exec(select(model).order_by(model.id)))


def last_meeting(app: SlackApp) -> Meeting:
    with Session(app.engine) as session:
        return session.exec(select(Meeting).where(Meeting.series_start == LAST)).one()


def settled(app: SlackApp, *users: str) -> None:
    for user in users:
        app.home(user)


def test_after_changes_are_requested_only_the_new_versions_approval_request_is_live(
    slack_app: SlackApp,
) -> None:
    """ "After Request changes and a resubmission the chair holds two live approval requests; the
    second answers not awaiting approval"."""
    require_approval(slack_app)
    committee(slack_app, "minutes", user=SECRETARY)
    slack_app.submit(slack_app.modal(), {
        "summary": text_input("KPI en hausse."),
        "actions": rich_text([mention(MARIE), words(" Recruter 3 conseillers by 2027-03-26")]),
    }, user=SECRETARY)  # fmt: skip
    tick(slack_app, paris(2027, 3, 16, 9, 1))
    (first,) = posted(slack_app, "minutes_approval", CHAIR)

    press(slack_app, first, ids.BTN_MINUTES_CHANGES, user=CHAIR)
    slack_app.submit(
        slack_app.modal(after=1), {"comment": text_input("Ajouter le taux de décroché")}, user=CHAIR
    )
    settled(slack_app, SECRETARY, CHAIR)

    committee(slack_app, "minutes", user=SECRETARY)
    modal = slack_app.modal(after=2)
    prefilled = block(modal, "actions")["element"]["initial_value"]
    assert "Recruter 3 conseillers" in json.dumps(prefilled)
    slack_app.submit(modal, {
        "summary": text_input("KPI en hausse ; taux de décroché 92 %."),
        "actions": {"type": "rich_text_input", "rich_text_value": prefilled},
    }, user=SECRETARY)  # fmt: skip
    settled(slack_app, SECRETARY, CHAIR)
    tick(slack_app, paris(2027, 3, 16, 9, 2))

    second = next(m for m in posted(slack_app, "minutes_approval", CHAIR) if m is not first)
    assert "92 %" in blocks_text(second.blocks)
    # The first request is edited: superseded, its buttons gone.
    slack_app.wait(
        lambda: "Remplacée par une version plus récente" in blocks_text(first.blocks), what="superseded"
    )
    assert not buttons(first)
    assert len(rows(slack_app, ActionItem)) == 1  # the unchanged line kept its item
    assert [v.number for v in rows(slack_app, MinutesVersion)] == [1, 2]

    # A stale Approve of version 1 (a message whose edit failed) is refused, naming the newer one.
    stale = {
        "action_id": ids.BTN_MINUTES_APPROVE,
        "type": "button",
        "value": json.dumps({"t": "mt", "meeting_id": last_meeting(slack_app).id, "version": 1}),
    }
    slack_app.click({"block_id": "x"}, stale, user=CHAIR, channel=CHAIR)
    assert "version 2" in slack_app.reply_text(CHAIR, after=1)
    assert last_meeting(slack_app).minutes_approved_at is None

    press(slack_app, second, ids.BTN_MINUTES_APPROVE, user=CHAIR)
    assert "approuvé" in slack_app.reply_text(CHAIR, after=2)
    assert last_meeting(slack_app).minutes_approved_at is not None
    settled(slack_app, SECRETARY, CHAIR)


def test_posted_minutes_are_amended_prefilled_and_reconciled(slack_app: SlackApp) -> None:
    committee(slack_app, "minutes", user=SECRETARY)
    slack_app.submit(slack_app.modal(), {
        "summary": text_input("KPI en hausse."),
        "decisions": text_input("Renfort de 3 conseillers"),
        "actions": rich_text(
            [mention(MARIE), words(" Recruter 3 conseillers by 2027-03-26 !high")],
            [mention(PAUL), words(" Diffuser la grille by 2027-03-19")],
        ),
    }, user=SECRETARY)  # fmt: skip
    settled(slack_app, SECRETARY, CHAIR)
    tick(slack_app, paris(2027, 3, 16, 9, 1))
    (minutes,) = posted(slack_app, "minutes_posted", PROD)
    recruit, grid = rows(slack_app, ActionItem)

    committee(slack_app, "minutes", user=SECRETARY)  # nothing owed: the posted minutes, to amend
    modal = slack_app.modal(after=1)
    assert modal["title"]["text"] == "Corriger le CR"
    assert block(modal, "summary")["element"]["initial_value"] == "KPI en hausse."
    assert block(modal, "decisions")["element"]["initial_value"] == "Renfort de 3 conseillers"
    prefilled = json.dumps(block(modal, "actions")["element"]["initial_value"])
    assert "Recruter 3 conseillers by 2027-03-26 !high" in prefilled and "Diffuser la grille" in prefilled

    response = slack_app.submit(modal, {
        "summary": text_input("KPI en hausse ; absentéisme stable."),
        "decisions": text_input("Renfort de 3 conseillers\nNouvelle grille au 1er avril"),
        "actions": rich_text(
            [mention(MARIE), words(" Recruter 3 conseillers by 2027-03-26 !high")],  # unchanged
            [mention(MARIE), words(" Former les nouveaux by 2027-04-02")],  # new; the grid line is removed
        ),
    }, user=SECRETARY)  # fmt: skip
    assert response.status == 200 and not response.body
    reply = slack_app.reply_text(SECRETARY, after=1)
    assert "corrigé" in reply and grid.public_id in reply

    items = {a.id: a for a in rows(slack_app, ActionItem)}
    assert len(items) == 3
    assert items[recruit.id].status == "open"  # same line, same item
    assert items[grid.id].status == "cancelled"  # removed line: its item is cancelled, with the reason
    assert any(
        c.comment == "minutes amended" for c in rows(slack_app, ActionChange) if c.action_id == grid.id
    )
    assert [d.text for d in rows(slack_app, Decision)] == [
        "Renfort de 3 conseillers",
        "Nouvelle grille au 1er avril",
    ]
    versions = rows(slack_app, MinutesVersion)
    assert [(v.number, v.kind, v.summary) for v in versions] == [
        (1, "submitted", "KPI en hausse."),
        (2, "amended", "KPI en hausse ; absentéisme stable."),
    ]

    # The posted message is edited, not posted again, and says who amended it.
    # Several edits may land (the amended text, then the items it reconciled): wait for the amendment.
    edited = slack_app.wait(
        lambda: "Corrigé par" in blocks_text(minutes.blocks) and minutes, what="the minutes edited"
    )
    text = blocks_text(edited.blocks)
    assert "absentéisme stable" in text and "Corrigé par <@U0SEC>" in text and "Former les nouveaux" in text
    assert len(posted(slack_app, "minutes_posted", PROD)) == 1
    settled(slack_app, SECRETARY, CHAIR)


def test_amending_is_for_the_secretary_or_the_chair(slack_app: SlackApp) -> None:
    committee(slack_app, "minutes", user=SECRETARY)
    slack_app.submit(slack_app.modal(), {"summary": text_input("KPI en hausse.")}, user=SECRETARY)
    settled(slack_app, SECRETARY, CHAIR)
    tick(slack_app, paris(2027, 3, 16, 9, 1))
    committee(slack_app, "minutes 09/03", user=MARIE)
    assert "secrétaire" in slack_app.reply_text(MARIE)
    committee(slack_app, "minutes 09/03", user=CHAIR)
    modal = slack_app.modal(after=1)
    assert modal["title"]["text"] == "Corriger le CR"
