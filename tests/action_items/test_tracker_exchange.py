"""The action tracker and decisions log as files for the other company (SPEC §11): export to CSV and
Excel, import of an existing tracker (French or English, CSV or Excel), round trips that change
nothing, and refused rows named the way a spreadsheet numbers them.

The command line runs on the test database; e-mail owners are looked up in the fake Slack
(``users.lookupByEmail``) over real HTTP.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlmodel import Session, select

from bot.action_items.tracker_columns import column_of, priority_of, status_of
from bot.cli.main import cli
from storage.models import ActionItem, Decision, Meeting, SlackUser
from tests.conftest import database_env
from tests.support.config_examples import snapshot
from tests.support.fakeslack import FakeSlack

FIXTURES = Path(__file__).parent.parent / "fixtures"
CONFIG = """\
timezone: Europe/Paris
locale: fr
holidays: FR
committees:
  - key: production
    name: Comité de production
    kind: production
    channel: C0PROD
    cadence: weekly
    first: 2027-01-05T10:00
    chair: U0CHAIR
    secretary: U0SEC
    deck_owner: U0DECK
  - key: quality
    name: Quality committee
    kind: qualite
    channel: C0QUAL
    cadence: monthly
    first: 2027-01-07T14:00
    locale: en
    chair: U0CHAIR
    secretary: U0SEC
    deck_owner: U0DECK
"""


@pytest.fixture
def fake():
    with FakeSlack() as slack:
        slack.add_user("U123", name="Marie Dupont", email="marie@client.example")
        yield slack


@pytest.fixture
def run(database, engine, fake, tmp_path: Path):
    env = {**database_env(database), "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.api_url}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, prog_name="committee-bot")

    path = tmp_path / "committees.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    assert invoke("config", "import", str(path)).exit_code == 0
    with Session(engine) as session:
        session.add_all(
            [
                SlackUser(user_id="U0PAUL", name="Paul Martin"),
                SlackUser(user_id="U0ANNA", name="Anna Smith", tz="America/New_York"),
                SlackUser(user_id="U0DECK", name="Deck Owner"),
            ]
        )
        session.commit()
    return invoke


def items(engine) -> list[ActionItem]:
    with Session(engine) as session:
        return list(session.exec(select(ActionItem).order_by(ActionItem.id)))


def refused(result: Result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- import --------------------------------------------------------------------------------------


def test_dry_run_lists_each_item_then_the_counts_and_writes_nothing(run, engine) -> None:
    before = snapshot(engine)

    result = run("actions", "import", str(FIXTURES / "tracker-fr.csv"), "--committee", "production")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "row 2: would create: Relancer le plan de renfort — U123, due 2027-04-19, high, in_progress, 40%",
        "row 3: would create: Calibrer les grilles qualité — U0PAUL, due 2027-05-03, medium, open, 0%",
        "row 4: would create: Partager le support du comité — U0DECK, due 2027-03-01, low, done, 100%",
        "dry run, nothing written (add --apply to import): committee production: "
        "3 to create, 0 to update, 0 unchanged",
    ]
    assert snapshot(engine) == before


def test_french_tracker_is_imported_and_reimporting_it_changes_nothing(run, engine) -> None:
    result = run(
        "actions", "import", str(FIXTURES / "tracker-fr.csv"), "--committee", "production", "--apply"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "committee production: 3 created, 0 updated, 0 unchanged"
    first = items(engine)
    assert [(a.title, a.owner, a.due, a.priority, a.status, a.progress) for a in first] == [
        ("Relancer le plan de renfort", "U123", date(2027, 4, 19), "high", "in_progress", 40),
        ("Calibrer les grilles qualité", "U0PAUL", date(2027, 5, 3), "medium", "open", 0),
        ("Partager le support du comité", "U0DECK", date(2027, 3, 1), "low", "done", 100),
    ]
    before = snapshot(engine)

    for fixture in ("tracker-fr.csv", "tracker-fr.xlsx"):
        again = run("actions", "import", str(FIXTURES / fixture), "--committee", "production", "--apply")
        assert again.stdout.splitlines() == ["committee production: 0 created, 0 updated, 3 unchanged"], (
            fixture
        )

    assert snapshot(engine) == before


@pytest.mark.parametrize("fixture", ["tracker-en.csv", "tracker-en.xlsx"])
def test_english_tracker_in_csv_or_xlsx_is_imported(run, engine, fixture: str) -> None:
    result = run("actions", "import", str(FIXTURES / fixture), "--committee", "quality", "--apply")

    assert result.exit_code == 0, result.stderr
    assert [(a.title, a.owner, a.due, a.priority, a.status, a.progress) for a in items(engine)] == [
        ("Hire two agents for the weekend shift", "U0ANNA", date(2027, 4, 30), "high", "open", 0),
        ("Review CSAT per agent group, by site", "U0PAUL", date(2027, 4, 15), "medium", "in_progress", 25),
    ]
    assert "row 3: created (EXT-7): Review CSAT" in result.stdout


def test_example_trackers_hold_the_same_rows_in_csv_and_xlsx() -> None:
    for name, delimiter in (("tracker-fr", ";"), ("tracker-en", ",")):
        text = (FIXTURES / f"{name}.csv").read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        sheet = load_workbook(FIXTURES / f"{name}.xlsx").worksheets[0]
        cells = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
        assert cells[0] == rows[0]
        assert [len(r) for r in cells] == [len(r) for r in rows]


def test_an_edited_export_updates_only_what_changed(run, engine, tmp_path: Path) -> None:
    run("actions", "import", str(FIXTURES / "tracker-fr.csv"), "--committee", "production", "--apply")
    path = tmp_path / "suivi.csv"
    assert (
        run(
            "actions", "export", "--format", "csv", "--committee", "production", "--output", str(path)
        ).exit_code
        == 0
    )
    text = path.read_text(encoding="utf-8-sig").replace(",40,", ",60,")
    path.write_text(text, encoding="utf-8")

    result = run("actions", "import", str(path), "--committee", "production", "--apply")

    assert result.stdout.splitlines() == [
        "row 3: updated A1: progress",  # the export is by due date: A3 (1 March) comes first
        "committee production: 0 created, 1 updated, 2 unchanged",
    ]
    assert items(engine)[0].progress == 60


BAD_ROWS = [
    pytest.param(
        "31/02/2027", "Échéance", '"31/02/2027" is not a date (write YYYY-MM-DD', id="impossible-date"
    ),
    pytest.param("2040-01-01", "Échéance", "2040-01-01 is more than 5 years ahead", id="too-far"),
    pytest.param(
        "urgent", "Priorité", '"urgent" is not a priority (allowed: high, medium, low / haute', id="priority"
    ),
    pytest.param("bloquée", "Statut", '"bloquée" is not a status (allowed: open, in_progress', id="status"),
    pytest.param("150", "Avancement", '"150" is not a percentage (allowed: 0 to 100)', id="progress"),
    pytest.param("Jean Inconnu", "Responsable", 'no Slack user named "Jean Inconnu"', id="owner-name"),
    pytest.param("nobody@client.example", "Responsable", "no Slack user has the e-mail", id="owner-email"),
    pytest.param("Plan\x00", "Intitulé", "contains a NUL character", id="nul"),
    pytest.param("x" * 3001, "Intitulé", "3001 characters (at most 3000)", id="title-length"),
    pytest.param("", "Intitulé", "empty (every item needs a title)", id="title-empty"),
    pytest.param("A999", "id", "no action item A999 in committee production", id="unknown-id"),
]


@pytest.mark.parametrize(("value", "header", "message"), BAD_ROWS)
def test_one_bad_row_refuses_the_file_naming_row_and_column(
    run, engine, tmp_path: Path, value: str, header: str, message: str
) -> None:
    good = ["", "Relancer le plan", "U123", "2027-04-19", "haute", "ouverte", "10"]
    headers = ["id", "Intitulé", "Responsable", "Échéance", "Priorité", "Statut", "Avancement"]
    bad = list(good)
    bad[headers.index(header)] = value
    path = tmp_path / "suivi.csv"
    lines = [headers, good, ["", "Deuxième", "U0PAUL", "2027-05-01", "", "", ""], bad]
    path.write_text("\n".join(";".join(line) for line in lines), encoding="utf-8")
    before = snapshot(engine)

    line = refused(run("actions", "import", str(path), "--committee", "production", "--apply"))

    assert line.startswith(f'Error: {path}: row 4, column "{header}": {message}'), line
    assert snapshot(engine) == before


def test_a_file_without_a_due_column_is_refused_naming_the_accepted_headers(run, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Title,Owner\nA,U123\n", encoding="utf-8")

    line = refused(run("actions", "import", str(path), "--committee", "production"))

    assert line == (
        f"Error: {path}: row 1: no column for due (headers, French or English: due: due / due date / "
        "echeance; known columns: id, committee, title, owner, owner_id, priority, due, status, progress, "
        "updated, source)"
    )


# --- export --------------------------------------------------------------------------------------


def test_csv_export_goes_to_stdout_with_the_committee_s_language(run) -> None:
    run("actions", "import", str(FIXTURES / "tracker-fr.csv"), "--committee", "production", "--apply")

    result = run("actions", "export", "--format", "csv", "--committee", "production", "--status", "open")

    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == [
        "id", "comité", "intitulé", "responsable", "owner_id", "priorité", "échéance", "statut", "avancement",
        "mise à jour", "source",
    ]  # fmt: skip
    assert rows[1][:9] == [
        "A2", "production", "Calibrer les grilles qualité", "Paul Martin", "U0PAUL", "moyenne", "2027-05-03",
        "ouverte", "0",
    ]  # fmt: skip
    assert len(rows) == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_of_the_same_file_changes_nothing(run, engine, tmp_path: Path, fmt: str) -> None:
    run("actions", "import", str(FIXTURES / "tracker-en.csv"), "--committee", "quality", "--apply")
    path = tmp_path / f"tracker.{fmt}"
    run("actions", "export", "--format", fmt, "--committee", "quality", "--output", str(path))
    before = snapshot(engine)

    result = run("actions", "import", str(path), "--committee", "quality", "--apply")

    assert result.stdout.splitlines() == ["committee quality: 0 created, 0 updated, 2 unchanged"]
    assert snapshot(engine) == before


def test_xlsx_has_a_bold_frozen_filtered_header_date_cells_and_overdue_rows_highlighted(
    run, engine, tmp_path: Path
) -> None:
    run("actions", "import", str(FIXTURES / "tracker-en.csv"), "--committee", "quality", "--apply")
    late = datetime.now(UTC).date() - timedelta(days=10)
    with Session(engine) as session:
        item = session.get(ActionItem, 1)
        assert item is not None
        item.due = late
        session.add(item)
        session.commit()
    path = tmp_path / "tracker.xlsx"

    run("actions", "export", "--format", "xlsx", "--committee", "quality", "--output", str(path))

    sheet = load_workbook(path).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:3] == ["id", "committee", "title"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:K3"
    due = sheet["G2"]
    assert due.is_date and due.value.date() == late and due.number_format == "yyyy-mm-dd"
    assert sheet["J2"].is_date  # updated
    assert sheet["I2"].value == 0 and isinstance(sheet["I2"].value, int)
    assert sheet["A2"].fill.fgColor.rgb.endswith("FFC7CE")  # overdue
    assert sheet["A3"].fill.fill_type is None  # not overdue


def test_xlsx_needs_an_output_file(run) -> None:
    line = refused(run("actions", "export", "--format", "xlsx"))
    assert line == "Error: an xlsx or docx file cannot go to the terminal: add --output FILE"


def test_unknown_committee_is_refused_with_the_known_keys(run) -> None:
    line = refused(run("actions", "export", "--format", "csv", "--committee", "prod"))
    assert line == 'Error: unknown committee "prod" (known: production, quality)'


def test_decisions_export_lists_each_decision_with_its_meeting(run, engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        start = datetime(2027, 3, 16, 9, 0, tzinfo=UTC)
        meeting = Meeting(committee_id=1, series_start=start, start=start, end=start + timedelta(hours=1))
        session.add(meeting)
        session.flush()
        session.add(Decision(meeting_id=meeting.id, text="Renfort de 2 ETP le samedi", recorded_by="U0PAUL",
                             recorded_at=start + timedelta(hours=2)))  # fmt: skip
        session.commit()

    result = run("decisions", "export", "--format", "csv", "--committee", "production")
    path = tmp_path / "decisions.xlsx"
    run("decisions", "export", "--format", "xlsx", "--output", str(path))

    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["comité", "réunion", "décision", "enregistrée par", "enregistrée le"],
        ["production", "2027-03-16", "Renfort de 2 ETP le samedi", "Paul Martin", "2027-03-16"],
    ]
    sheet = load_workbook(path).active
    assert sheet is not None and sheet["B2"].is_date and sheet["C2"].value == "Renfort de 2 ETP le samedi"


def test_headers_are_found_whatever_their_case_accents_or_separators() -> None:
    assert [column_of(h) for h in ("ÉCHÉANCE", "echeance", "Date d'échéance", "Owner_ID", "Mise à jour", "x")] == [
        "due", "due", "due", "owner_id", "updated", None,
    ]  # fmt: skip
    assert [priority_of(w) for w in ("Haute", "MOYENNE", "low", "urgent")] == ["high", "medium", "low", None]
    assert [status_of(w) for w in ("En cours", "in_progress", "Annulée", "faite")] == [
        "in_progress", "in_progress", "cancelled", "done",
    ]  # fmt: skip


def test_two_rows_without_id_and_with_the_same_title_are_refused(run, engine, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "title,owner,due\nRelancer,U123,2027-04-01\nRelancer,U0PAUL,2027-04-02\n", encoding="utf-8"
    )

    line = refused(run("actions", "import", str(path), "--committee", "production"))

    assert line.startswith(f'Error: {path}: row 3, column "title": the same title as row 2')
