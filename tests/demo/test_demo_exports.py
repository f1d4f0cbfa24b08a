"""The demo ends by exporting the tracker and one set of minutes, and says where they are."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from openpyxl import load_workbook

from tests.support.demo import demo


def test_demo_ends_with_the_tracker_and_minutes_files_and_says_where(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"

    run = demo("--db", str(path), "--weeks", "3", "--quiet", tmp=tmp_path)

    assert run.returncode == 0, run.stderr + run.stdout[-2000:]
    assert f"Fichiers échangés avec l'autre entreprise, dans {tmp_path} :" in run.stdout
    sheet = load_workbook(tmp_path / "committee-bot-demo-actions.xlsx").active
    assert sheet is not None and sheet["C1"].value == "intitulé" and sheet.max_row >= 2
    (minutes,) = tmp_path.glob("committee-bot-demo-minutes-*.docx")
    assert minutes.name in run.stdout
    text = "\n".join(p.text for p in Document(io.BytesIO(minutes.read_bytes())).paragraphs)
    assert "Compte rendu — " in text and "Décisions" in text and "Plan d'action" in text
    assert minutes.with_suffix(".md").read_text(encoding="utf-8").startswith("# Compte rendu — ")


def test_without_a_kept_database_the_files_go_to_a_new_directory_left_in_place(tmp_path: Path) -> None:
    run = demo("--locale", "en", "--weeks", "2", "--quiet", tmp=tmp_path)

    assert run.returncode == 0, run.stderr
    (directory,) = tmp_path.glob("committee-bot-files-*")
    assert f"Files exchanged with the other company, in {directory}:" in run.stdout
    assert (
        (directory / "committee-bot-demo-actions.csv")
        .read_text(encoding="utf-8-sig")
        .startswith("id,committee,")
    )
