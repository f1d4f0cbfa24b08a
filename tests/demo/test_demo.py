"""``committee-bot demo``, run as a user runs it: the real command in a subprocess.

The French run (the default) is made once and read by several tests, each checking that one scripted
event of the story reached the transcript, as the bot's message (kind and recipient) or as a
participant's line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.demo import LIMIT, Run, demo

pytestmark = pytest.mark.slow  # subprocesses and real servers: outside the quick loop


@pytest.fixture(scope="module")
def french(tmp_path_factory: pytest.TempPathFactory) -> Run:
    tmp = tmp_path_factory.mktemp("demo-fr")
    # A DATABASE_URL that cannot be opened: the demo must not touch it.
    return demo(tmp=tmp, env={"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})


def flat(run: Run) -> str:
    """The output with its line wrapping undone (participant lines wrap at 100 columns)."""
    return " ".join(run.stdout.split())


def entries(run: Run, kind: str) -> list[str]:
    """The header lines of the bot's messages of ``kind`` (posted, not edits)."""
    return [line for line in run.stdout.splitlines() if f"({kind})" in line and "✎" not in line]


def test_demo_exits_0_well_under_30_seconds(french: Run):
    assert french.returncode == 0, french.stderr + french.stdout[-2000:]
    assert french.seconds < LIMIT, f"took {french.seconds:.1f} s"  # about 3 s on an idle machine
    assert "Traceback" not in french.stderr + french.stdout
    assert "⚠ refusé" not in french.stdout  # no scripted step was refused


def test_demo_leaves_no_temporary_database(french: Run):
    assert not list(french.tmp.glob("committee-bot-demo-*"))


def test_transcript_opens_with_the_cast_and_the_committees(french: Run):
    head = french.stdout[:3000]
    assert "préréglage « contact-centre-fr »" in head
    assert "@marie" in head and "#comite-de-production" in head and "(chaque semaine)" in head


def test_transcript_is_dated_and_timed(french: Run):
    assert "── lun. 04 janv. 2027 ─" in french.stdout
    assert re.search(r"^09:00  #comite-de-production  \(agenda_request\)$", french.stdout, re.M)


def test_agenda_request_with_its_button(french: Run):
    assert entries(french, "agenda_request")
    block = french.stdout.split("#comite-de-production  (agenda_request)", 1)[1][:1500]
    assert "[ Proposer un sujet ]" in block


def test_topic_proposed_edits_the_agenda_request(french: Run):
    assert (
        "@julie › propose un sujet pour le Comité de production du mar. 05 janv. : « Plan de renfort de février »"
        in flat(french)
    )
    edit = re.search(r"^09:12  #comite-de-production  \(agenda_request\) ✎ .*\n.*\n.*$", french.stdout, re.M)
    assert edit is not None and "+ • Plan de renfort de février — @julie — 20 min" in edit.group(0)


def test_late_deck_notice_then_the_deck_shared_late(french: Run):
    published = french.stdout.split("(agenda_published)")
    assert any("Support manquant" in part[:1500] for part in published[1:])
    assert any("@marie (DM)" in line for line in entries(french, "agenda_published"))  # the chair is told
    assert "@karim › partage enfin le support du Comité de production du mar. 12 janv." in flat(french)
    assert re.search(r"\(agenda_published\) ✎ .*\n(?:.*\n)*?.*\+ 📊 \*Support :\*", french.stdout)


def test_minutes_overdue_chase_to_the_secretary_the_chair_and_the_channel_then_late_minutes(french: Run):
    overdue = entries(french, "minutes_overdue")
    assert any("@thomas (DM)" in line for line in overdue)  # the quality committee's secretary owes them
    assert any("@sophie (DM)" in line for line in overdue)  # the quality committee's chair
    assert any("#comite-qualite" in line for line in overdue)
    assert len(overdue) == 9  # 3 chases, each to the secretary, the chair and the channel
    assert (
        "@thomas › soumet enfin le compte rendu du Comité qualité du jeu. 14 janv., 3 jours ouvrés après l'échéance"
        in flat(french)
    )
    after = french.stdout.split("@thomas › soumet enfin", 1)[1]
    assert not [
        line for line in after.splitlines() if "(minutes_overdue)" in line and "✎" not in line
    ]  # chase over


def test_minutes_approval_then_posted(french: Run):
    assert any("@claire (DM)" in line for line in entries(french, "minutes_approval"))
    assert "@claire › approuve le compte rendu du Comité de pilotage du mer. 06 janv." in flat(french)
    assert any("#comite-de-pilotage" in line for line in entries(french, "minutes_posted"))


def test_actions_added_due_soon_overdue_and_escalated(french: Run):
    assert (
        "@marie › tape /action add @julie Réviser les scripts de relance pour le 20/01 !haute → A4"
        in flat(french)
    )
    assert any("@julie (DM)" in line for line in entries(french, "action_due_soon"))
    assert any("@karim (DM)" in line for line in entries(french, "action_overdue"))
    assert any("@marie (DM)" in line for line in entries(french, "action_escalation"))  # the chair


def test_snooze_then_done(french: Run):
    assert (
        "@julie › clique [ Suspendre les relances ] › D'une semaine sur A4 : plus de relance avant le mar. 26 janv. 2027"
        in flat(french)
    )
    between = french.stdout.split("› D'une semaine sur A4", 1)[1].split("── mar. 26 janv. 2027", 1)[0]
    assert not re.search(
        r"@julie \(DM\)  \(action_\w+\)$", between, re.M
    )  # not chased while snoozed (edits aside)
    assert "@julie › clique [ Terminé ] sur A4 « Réviser les scripts de relance »" in flat(french)
    assert "@karim › met à jour A2 : en cours, 50 %" in flat(french)


def test_weekly_digest_in_every_channel_every_week(french: Run):
    digests = entries(french, "weekly_digest")
    assert len(digests) == 4 * 6
    assert "Semaine calme" in french.stdout


def test_health_summary_with_figures_and_delivery_totals(french: Run):
    summary = french.stdout.split("══ Santé de la gouvernance", 1)[1]
    assert re.search(r"^Comité de production\s+5/5  100 %\s+5/6  83 %\s+1/3  33 %$", summary, re.M)
    assert re.search(r"^Comité qualité\s+0/1  0 %", summary, re.M)
    assert re.search(r"^Tous les comités\s+\d+/\d+  \d+ %", summary, re.M)
    totals = re.search(r"(\d+) messages postés .*?(\d+) modifiés", summary, re.S)
    assert totals and int(totals.group(1)) > 50 and int(totals.group(2)) > 5
    assert re.search(r"\d+ envoyées, \d+ sautées \(plus nécessaires\), 0 en échec", summary)


def test_english_preset_quiet_prints_only_the_summary(tmp_path: Path):
    run = demo("--locale", "en", "--quiet", "--weeks", "2", tmp=tmp_path)
    assert run.returncode == 0, run.stderr + run.stdout
    assert '"contact-centre-en" preset' in run.stdout
    assert "(agenda_request)" not in run.stdout and "@julie ›" not in run.stdout
    assert re.search(r"^Production committee\s+", run.stdout, re.M)
    assert "messages posted" in run.stdout and "weekly_digest 8" in run.stdout


def test_another_start_date_runs_the_story_from_there(tmp_path: Path):
    run = demo("--start", "2027-03-01", "--weeks", "3", tmp=tmp_path)
    assert run.returncode == 0, run.stderr + run.stdout[-2000:]
    assert "── lun. 01 mars 2027 ─" in run.stdout
    assert "@karim › partage enfin le support du Comité de production du mar. 09 mars" in flat(run)


def test_db_option_keeps_the_file_and_refuses_an_existing_one(tmp_path: Path):
    path = tmp_path / "demo.db"
    run = demo("--db", str(path), "--weeks", "1", "--quiet", tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    assert path.stat().st_size > 0 and f"Base conservée : {path}" in run.stdout
    again = demo("--db", str(path), "--weeks", "1", "--quiet", tmp=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr and again.stderr.count("\n") == 1


def test_keep_prints_where_the_temporary_database_is(tmp_path: Path):
    run = demo("--keep", "--weeks", "1", "--quiet", tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    kept = list(tmp_path.glob("committee-bot-demo-*.db"))
    assert len(kept) == 1 and str(kept[0]) in run.stdout


def test_bad_options_are_one_line_errors(tmp_path: Path):
    run = demo("--weeks", "0", tmp=tmp_path)
    assert run.returncode == 2 and run.stderr.startswith("Error:") and run.stderr.count("\n") == 1
    run = demo("--start", "05/01/2027", tmp=tmp_path)
    assert run.returncode == 2 and "YYYY-MM-DD" in run.stderr


def test_a_meeting_moved_twice_keeps_one_edited_notice_and_its_reminders(french: Run):
    text = flat(french)
    assert (
        "tape /committee move 19/01 au 20/01 15:00" in text
        and "tape /committee move 19/01 au 21/01 14:00" in text
    )
    assert len(entries(french, "meeting_moved")) == 1  # one notice, edited on the second move
    assert "(meeting_moved) ✎ modifie son message" in text
    assert (
        "Initialement prévu : ~19 janv. 2027 10:00~" in text
        and "Nouveau créneau : *21 janv. 2027 14:00*" in text
    )


def test_a_meeting_cancelled_after_confirmation_then_restored(french: Run):
    text = flat(french)
    assert "tape /committee cancel 26/01, puis clique [ Annuler la réunion du 2027-01-26 10:00 ]" in text
    assert "tape /committee restore 26/01" in text and "Annulation levée par @marie" in text


def test_posted_minutes_amended_without_duplicating_their_actions(french: Run):
    text = flat(french)
    assert "corrige le compte rendu du Comité de production du mar. 05 janv. (version 2)" in text
    assert "actions reprises sans doublon : A1, A2" in text and "Corrigé par @karim" in text
