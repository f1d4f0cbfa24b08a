"""Minutes as a document (SPEC §11): the DOCX is uploaded once in the thread of the minutes message,
through the outbox (external upload flow against the fake Slack over HTTP), and `minutes export`
writes the same record as Markdown or DOCX."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from click.testing import CliRunner
from docx import Document
from slack_sdk import WebClient

from bot.cli.main import cli
from bot.delivery.tick import tick
from bot.meetings import flows
from storage.db import session_scope
from tests.conftest import database_env
from tests.support.fakeslack import FakeSlack
from tests.support.meeting_flows import AFTER, next_meeting, notifications, submit

pytestmark = pytest.mark.usefixtures("replans")

AMENDED = {
    "summary": "Synthèse corrigée.",
    "decisions": ["Renfort de 3 conseillers"],
    "action_lines": ["<@U0BOB> Recruter 3 conseillers by 2027-01-29 !high"],
    "attendees": ["U0BOB", "U0ANN"],
    "actor": "U0SEC",
}


@pytest.fixture
def fake():
    with FakeSlack() as slack:
        yield slack


def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url, retry_handlers=[])


def send_all(engine, fake: FakeSlack, now=AFTER) -> None:
    for _ in range(3):  # the document is queued once the minutes message is sent
        tick(engine, client(fake), now=now, concurrency=1)


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)


def test_final_minutes_get_their_docx_in_the_thread_once(db, fake) -> None:
    submit(db, next_meeting(db))

    send_all(db, fake)
    send_all(db, fake, now=AFTER + timedelta(hours=1))

    (minutes,) = [m for m in fake.messages("C0PROD") if m.text.startswith("Compte rendu du")]
    (upload,) = fake.uploaded("C0PROD")
    assert upload.thread_ts == minutes.ts
    assert upload.filename == "production-2027-01-05.docx"
    assert upload.comment == "Compte rendu au format Word : Comité production, réunion du 2027-01-05."
    assert len(fake.calls_to("files.completeUploadExternal")) == 1
    text = docx_text(upload.content or b"")
    for expected in (
        "Compte rendu — Comité production",
        "Date : 2027-01-05, 10:00–11:30 (Europe/Paris)",
        "Participants",
        "U0BOB",
        "Ordre du jour",
        "Revue des actions",
        "Synthèse",
        "Point sur les KPI de décembre.",
        "Décisions",
        "Renfort de 3 conseillers",
        "Plan d'action",
        "Recruter 3 conseillers | U0BOB | 2027-01-29 | haute | ouverte",
    ):
        assert expected in text, expected
    (row,) = notifications(db, "minutes_document")
    assert row.state == "sent"


def test_a_document_whose_upload_answer_was_lost_is_not_uploaded_twice(db, fake) -> None:
    submit(db, next_meeting(db))
    fake.fail("files.completeUploadExternal", "internal_error", after_effect=True)

    send_all(db, fake)  # shared in Slack, but the answer says otherwise: retried later
    send_all(db, fake, now=AFTER + timedelta(minutes=5))

    assert len(fake.uploaded("C0PROD")) == 1
    assert len(fake.calls_to("conversations.replies")) >= 1
    (row,) = notifications(db, "minutes_document")
    assert row.state == "sent"


def test_amended_minutes_get_their_own_document_in_the_thread(db, fake) -> None:
    """The thread ends with the document of the minutes as they stand: amending them uploads
    ``…-v2.docx`` (the first document stays, as the record of what was posted); amending twice
    before the dispatcher runs uploads the latest version only."""
    meeting_id = next_meeting(db)
    submit(db, meeting_id)
    send_all(db, fake)
    amend = {**AMENDED, "now": AFTER + timedelta(hours=1)}
    with session_scope(db) as session:
        flows.amend_minutes(session, meeting_id=meeting_id, **amend)
    send_all(db, fake, now=AFTER + timedelta(hours=1))
    with session_scope(db) as session:
        flows.amend_minutes(session, meeting_id=meeting_id, **{**amend, "summary": "Version 3."})
        flows.amend_minutes(session, meeting_id=meeting_id, **{**amend, "summary": "Version 4."})
    send_all(db, fake, now=AFTER + timedelta(hours=2))

    (minutes,) = [m for m in fake.messages("C0PROD") if m.text.startswith("Compte rendu du")]
    uploads = fake.uploaded("C0PROD")
    assert [u.filename for u in uploads] == [
        "production-2027-01-05.docx",
        "production-2027-01-05-v2.docx",
        "production-2027-01-05-v4.docx",
    ]
    assert {u.thread_ts for u in uploads} == {minutes.ts}
    assert uploads[1].comment == (
        "Compte rendu modifié (version 2) au format Word : Comité production, réunion du 2027-01-05."
    )
    assert "Synthèse corrigée." in docx_text(uploads[1].content or b"")
    assert "Version 4." in docx_text(uploads[2].content or b"")
    states = sorted((row.key.rsplit(":", 1)[-1], row.state) for row in notifications(db, "minutes_document"))
    assert [state for _, state in states].count("sent") == 3


def test_minutes_export_writes_markdown_to_stdout_and_docx_to_a_file(db, database, tmp_path) -> None:
    submit(db, next_meeting(db))
    env = database_env(database)
    runner = CliRunner()

    markdown = runner.invoke(
        cli, ["minutes", "export", "--committee", "production", "--date", "2027-01-05"], env=env
    )
    path = tmp_path / "cr.docx"
    docx = runner.invoke(
        cli,
        [
            "minutes",
            "export",
            "--committee",
            "production",
            "--date",
            "2027-01-05",
            "--format",
            "docx",
            "-o",
            str(path),
        ],
        env=env,
    )
    missing = runner.invoke(
        cli, ["minutes", "export", "--committee", "production", "--date", "2027-01-06"], env=env
    )

    assert markdown.exit_code == 0, markdown.stderr
    assert markdown.stdout.startswith("# Compte rendu — Comité production\n\nDate : 2027-01-05, 10:00–11:30")
    assert "## Décisions\n\n- Renfort de 3 conseillers\n- Nouvelle grille qualité\n" in markdown.stdout
    assert "| Recruter 3 conseillers | U0BOB | 2027-01-29 | haute | ouverte |" in markdown.stdout
    assert docx.exit_code == 0 and "Renfort de 3 conseillers" in docx_text(path.read_bytes())
    assert missing.exit_code == 2
    assert missing.stderr.strip() == (
        "Error: no meeting of committee production on 2027-01-06 (meetings with minutes: 2027-01-05)"
    )
