"""The fake Slack answers like Slack: the SDK's own client and retry handlers see what they would see."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.support.fakeslack import FakeSlack


@pytest.fixture
def fake():
    with FakeSlack() as fake:
        yield fake


def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url)


def test_post_message_returns_ts_and_is_recorded(fake: FakeSlack) -> None:
    answer = client(fake).chat_postMessage(
        channel="C0PROD", text="hello", metadata={"event_type": "n", "event_payload": {"key": "k1"}}
    )
    assert answer["ok"] and answer["ts"]
    [message] = fake.messages("C0PROD")
    assert message.text == "hello" and message.metadata["event_payload"]["key"] == "k1"


def test_scripted_error_answers_ok_false_and_posts_nothing(fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as raised:
        client(fake).chat_postMessage(channel="C0GONE", text="x")
    assert raised.value.response["error"] == "channel_not_found"
    assert fake.messages() == []


def test_rate_limit_answers_429_with_retry_after(fake: FakeSlack) -> None:
    fake.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        client(fake).chat_postMessage(channel="C0PROD", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["retry-after"] == ["7"] or raised.value.response.headers.get(
        "Retry-After"
    ) in ("7", ["7"])


def test_archived_channel_and_deactivated_user(fake: FakeSlack) -> None:
    fake.archive("C0OLD")
    fake.add_user("U0GONE", deleted=True)
    for channel, error in (("C0OLD", "is_archived"), ("U0GONE", "user_disabled")):
        with pytest.raises(SlackApiError) as raised:
            client(fake).chat_postMessage(channel=channel, text="x")
        assert raised.value.response["error"] == error


def test_update_keeps_one_message_with_its_edits(fake: FakeSlack) -> None:
    ts = client(fake).chat_postMessage(channel="C0PROD", text="v1")["ts"]
    client(fake).chat_update(channel="C0PROD", ts=ts, text="v2")
    [message] = fake.messages("C0PROD")
    assert message.text == "v2" and message.edits[0]["text"] == "v1"
