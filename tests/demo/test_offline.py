"""The offline Slack client of the demo (bot/offline.py): answers like Slack, never touches the network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.errors import SlackApiError

from bot.demo.offline import OfflineSlack

T0 = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    now = [T0]
    return now


@pytest.fixture
def client(clock):
    return OfflineSlack(
        clock=lambda: clock[0],
        users={"U06PILOTE1": {"name": "marie", "tz": "Europe/Paris"}, "U0GONE": {"deleted": True}},
    )


def test_post_answers_ok_ts_from_the_simulated_clock_and_channel(client):
    answer = client.chat_postMessage(
        channel="C06COPROD1",
        text="Ordre du jour",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
    )
    assert answer["ok"] and answer["channel"] == "C06COPROD1"
    assert answer["ts"].startswith(f"{int(T0.timestamp())}.")
    message = client.visible("C06COPROD1")[0]
    assert (
        message.text == "Ordre du jour" and message.blocks[0]["type"] == "section" and message.posted_at == T0
    )


def test_ts_values_are_unique_and_increasing(client, clock):
    first = client.chat_postMessage(channel="C1", text="a")["ts"]
    second = client.chat_postMessage(channel="C1", text="b")["ts"]
    clock[0] = T0 + timedelta(hours=1)
    third = client.chat_postMessage(channel="C1", text="c")["ts"]
    assert float(first) < float(second) < float(third)


def test_dm_to_a_user_lands_in_a_d_conversation(client):
    answer = client.chat_postMessage(channel="U06PILOTE1", text="Rappel")
    assert answer["channel"] == "D06PILOTE1"
    assert client.conversations_open(users="U06PILOTE1")["channel"]["id"] == "D06PILOTE1"
    assert client.visible("U06PILOTE1")[0].to == "U06PILOTE1"


def test_update_edits_the_message_and_keeps_its_history(client, clock):
    ts = client.chat_postMessage(channel="C1", text="v1")["ts"]
    clock[0] = T0 + timedelta(minutes=12)
    answer = client.chat_update(channel="C1", ts=ts, text="v2", blocks=[])
    assert answer["ok"] and answer["ts"] == ts
    message = client.find("C1", ts)
    assert message is not None and message.text == "v2" and message.edited_at == clock[0]
    assert [e["text"] for e in message.edits] == ["v1"]


def test_errors_raise_slack_api_error_like_the_network_client(client):
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel="C1", ts="1.000001", text="x")
    assert raised.value.response["error"] == "message_not_found"
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="U0GONE", text="x")
    assert raised.value.response["error"] == "user_disabled"
    with pytest.raises(SlackApiError):
        client.api_call("chat.unknownMethod")


def test_delete_hides_the_message(client):
    ts = client.chat_postMessage(channel="C1", text="x")["ts"]
    client.chat_delete(channel="C1", ts=ts)
    assert client.visible("C1") == []


def test_users_info_and_every_call_recorded_with_its_time(client):
    seen = []
    client.listener = seen.append
    assert client.users_info(user="U06PILOTE1")["user"]["tz"] == "Europe/Paris"
    assert [c.method for c in client.calls] == ["users.info"] and client.calls[0].at == T0
    assert seen == client.calls


def test_history_finds_messages_by_metadata(client):
    metadata = {"event_type": "committee_bot_notification", "event_payload": {"key": "k1"}}
    client.chat_postMessage(channel="C1", text="x", metadata=metadata)
    history = client.conversations_history(channel="C1", limit=10)
    assert history["messages"][0]["metadata"] == metadata
