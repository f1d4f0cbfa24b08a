"""Reading a tracker file (CSV or Excel) into rows of cells, for ``bot.action_items.tracker_import``.

CSV: UTF-8 (a byte-order mark allowed), ``,`` or ``;`` separated. Excel: the first sheet's values.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook


class ImportRefused(ValueError):
    """The file cannot be imported; the message is one line saying where and what."""


def read_table(path: str | Path) -> list[list[Any]]:
    """The cells of a .csv or .xlsx file, row by row (the header first)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file")
    if suffix == ".csv":
        return read_csv(path.read_bytes(), name=str(path))
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path.read_bytes(), name=str(path))
    raise ImportRefused(f"{path}: unknown file type (allowed: .csv or .xlsx)")


def read_csv(data: bytes, *, name: str = "tracker.csv") -> list[list[Any]]:
    """UTF-8 (with or without a byte-order mark), ``,`` or ``;`` separated."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(
            f"{name}: not UTF-8 text (byte {error.start}); save the file as CSV UTF-8"
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def read_xlsx(data: bytes, *, name: str = "tracker.xlsx") -> list[list[Any]]:
    """The first sheet's cell values (dates as datetimes, numbers as numbers)."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        raise ImportRefused(f"{name}: not an Excel workbook ({type(error).__name__})") from None
    sheet = book.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows
