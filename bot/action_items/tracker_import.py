"""Bringing an existing action tracker in, from CSV or Excel (SPEC §11).

The file is read whole and every row checked before anything is written: one refused row refuses
the file, with one line naming the row as a spreadsheet numbers it (the header is row 1) and the
column by its header. Columns are found by their header, French or English, case and accents
ignored; unknown columns are ignored. Values follow the rules of the rest of the app (a real date at
most five years ahead, priority, status, progress 0-100, a title with visible text and within the
length limit, no NUL character).

Rows are matched to existing items so that importing the same file again changes nothing: by the
``id`` column when it holds one of this bot's ids (``A12``), else by the title within the committee.
Any other id (the other company's own numbering) is kept only for the dry-run listing. Past due
dates are accepted: a tracker brought in on day one has overdue items, and they get chased.

Owners are matched by Slack id (``owner_id`` column, or an id or mention in ``owner``), by e-mail
(``users.lookupByEmail``) or by the exact display name the bot knows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlmodel import Session, col, select

from bot.action_items.tracker_columns import ALIASES, COLUMNS, column_of, priority_of, status_of
from bot.action_items.tracker_files import ImportRefused
from bot.core.parsing import MENTION_RE, TITLE_MAX, USER_ID_RE, check_no_broadcast
from bot.text.errors import InvalidInput
from storage import action_items as store
from storage.models import ActionItem, ActionStatus, Committee, SlackUser

ACTOR = "import"  # who the history says made the change
MAX_ROWS = 5000
PLANNING_YEARS = 5  # SPEC §9: dates within the planning range
OUR_ID = re.compile(r"^\s*[Aa]0*([1-9]\d{0,9})\s*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REQUIRED = ("title", "owner", "due")

# Looks an e-mail address up in Slack: the user id, or None when Slack knows no such user.
EmailLookup = Callable[[str], "str | None"]


@dataclass(frozen=True)
class ImportedRow:
    """One valid row: where it was, what it says, and what it would do."""

    line: int  # the spreadsheet's row number
    title: str
    owner: str
    due: date
    priority: str
    status: str
    progress: int
    action_id: int | None  # the existing item it updates, None to create
    external_id: str | None
    changes: tuple[str, ...] = ()  # field names that differ from the stored item


@dataclass
class ImportPlan:
    """What an import does: the rows to create, to update and those already up to date."""

    committee: Committee
    rows: list[ImportedRow] = field(default_factory=list)

    @property
    def created(self) -> list[ImportedRow]:
        return [row for row in self.rows if row.action_id is None]

    @property
    def updated(self) -> list[ImportedRow]:
        return [row for row in self.rows if row.action_id is not None and row.changes]

    @property
    def unchanged(self) -> list[ImportedRow]:
        return [row for row in self.rows if row.action_id is not None and not row.changes]

    def lines(self, *, applied: bool) -> list[str]:
        """The listing: one line an item created or updated, then the counts."""
        verb = ("created", "updated") if applied else ("would create", "would update")
        out = []
        for row in self.rows:
            ref = f" ({row.external_id})" if row.external_id else ""
            if row.action_id is None:
                out.append(
                    f"row {row.line}: {verb[0]}{ref}: {row.title} — {row.owner}, due {row.due}, "
                    f"{row.priority}, {row.status}, {row.progress}%"
                )
            elif row.changes:
                out.append(f"row {row.line}: {verb[1]} A{row.action_id}: {', '.join(row.changes)}")
        counts = (
            f"{len(self.created)} to create, {len(self.updated)} to update, {len(self.unchanged)} unchanged"
        )
        if applied:
            counts = (
                f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged"
            )
        prefix = "" if applied else "dry run, nothing written (add --apply to import): "
        out.append(f"{prefix}committee {self.committee.key}: {counts}")
        return out


# --- checking ----------------------------------------------------------------------------------


def plan_import(
    session: Session,
    table: list[list[Any]],
    *,
    committee: Committee,
    now: datetime,
    lookup_email: EmailLookup | None = None,
    source: str = "",
) -> ImportPlan:
    """Check every row of ``table`` against ``committee``'s items; ImportRefused on the first bad row."""
    where = f"{source}: " if source else ""
    rows = list(table)
    while rows and _blank(rows[-1]):
        rows.pop()
    if not rows:
        raise ImportRefused(f"{where}the file is empty (expected a header row, then one row per item)")
    if len(rows) > MAX_ROWS + 1:
        raise ImportRefused(f"{where}{len(rows) - 1} rows: at most {MAX_ROWS} items per import")
    columns: dict[str, int] = {}
    header_names: dict[str, str] = {}
    for index, cell in enumerate(rows[0]):
        key = column_of(str(cell or ""))
        if key is not None and key not in columns:
            columns[key] = index
            header_names[key] = str(cell).strip()
    missing = [
        key for key in REQUIRED if key not in columns and not (key == "owner" and "owner_id" in columns)
    ]
    if missing:
        wanted = "; ".join(f"{key}: {' / '.join(ALIASES[key][:3])}" for key in missing)
        raise ImportRefused(
            f"{where}row 1: no column for {', '.join(missing)} (headers, French or English: {wanted}; "
            f"known columns: {', '.join(COLUMNS)})"
        )

    tz = ZoneInfo(committee.timezone)
    today = now.astimezone(tz).date()
    existing = store.list_actions(session, committee_id=committee.id)
    by_id = {item.id: item for item in existing}
    by_title = {_title_key(item.title): item for item in existing}
    names = _names(session)
    deactivated = set(session.exec(select(SlackUser.user_id).where(col(SlackUser.deleted).is_(True))).all())
    emails: dict[str, str | None] = {}
    plan = ImportPlan(committee=committee)
    seen: dict[int, int] = {}  # existing item id -> the row that names it
    new_titles: dict[str, int] = {}  # title of an item this file creates -> its row

    for number, cells in enumerate(rows[1:], start=2):
        if _blank(cells):
            continue

        def cell(key: str, cells: list[Any] = cells) -> Any:
            index = columns.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        def refuse(key: str, problem: str, number: int = number) -> ImportRefused:
            return ImportRefused(f'{where}row {number}, column "{header_names.get(key, key)}": {problem}')

        for key in columns:
            value = cell(key)
            if isinstance(value, str) and "\x00" in value:
                raise refuse(key, "contains a NUL character; remove it")
        title = _title(cell("title"), refuse)
        owner = _owner(cell("owner_id"), cell("owner"), names, emails, lookup_email, refuse, columns)
        if owner in deactivated:
            raise refuse(
                "owner_id" if _text(cell("owner_id")) else "owner",
                f"{owner}'s Slack account is deactivated (choose another owner)",
            )
        due = _date(cell("due"), today, refuse)
        priority = _word(cell("priority"), priority_of, "medium", "priority", refuse)
        status = _word(cell("status"), status_of, ActionStatus.open.value, "status", refuse)
        progress = _progress(cell("progress"), status, refuse)
        committee_cell = _text(cell("committee"))
        if committee_cell and committee_cell not in (committee.key, committee.name):
            raise refuse(
                "committee",
                f'the item belongs to committee "{committee_cell}", not "{committee.key}" '
                f"(import each committee's rows with its own --committee)",
            )
        raw_id = _text(cell("id"))
        match = OUR_ID.match(raw_id) if raw_id else None
        item: ActionItem | None
        if match:
            item = by_id.get(int(match.group(1)))
            if item is None:
                raise refuse(
                    "id",
                    f"no action item {raw_id.strip().upper()} in committee {committee.key} "
                    "(leave the id empty to create the item)",
                )
        else:
            item = by_title.get(_title_key(title))
            if item is None and _title_key(title) in new_titles:
                # Without ids, the title is what makes a re-import find the item again.
                raise refuse(
                    "title",
                    f"the same title as row {new_titles[_title_key(title)]} (titles without an id must "
                    "differ, or give each row its id)",
                )
        if item is not None:
            assert item.id is not None
            if item.id in seen:
                raise refuse(
                    "id" if match else "title",
                    f"the same item as row {seen[item.id]} (each item once per file)",
                )
            seen[item.id] = number
        values = {
            "title": title,
            "owner": owner,
            "due": due,
            "priority": priority,
            "status": status,
            "progress": progress,
        }
        changes = tuple(
            name for name, value in values.items() if item is not None and getattr(item, name) != value
        )
        plan.rows.append(
            ImportedRow(
                line=number,
                title=title,
                owner=owner,
                due=due,
                priority=priority,
                status=status,
                progress=progress,
                action_id=item.id if item is not None else None,
                external_id=raw_id if raw_id and not match else None,
                changes=changes,
            )
        )
        if item is None:
            new_titles[_title_key(title)] = number
    return plan


def apply_import(session: Session, plan: ImportPlan, *, now: datetime) -> list[int]:
    """Write the plan in the caller's transaction; returns the ids of the items created or changed."""
    committee = plan.committee
    touched: list[int] = []
    for row in plan.rows:
        if row.action_id is None:
            item = ActionItem(
                title=row.title,
                owner=row.owner,
                creator=committee.chair,
                due=row.due,
                priority=row.priority,
                status=row.status,
                progress=row.progress,
                committee_id=committee.id,
                closed_at=now
                if row.status in (ActionStatus.done.value, ActionStatus.cancelled.value)
                else None,
                created_at=now,
                updated_at=now,
            )
            session.add(item)
            session.flush()
            assert item.id is not None
            store.add_change(
                session, action_id=item.id, actor=ACTOR, field="created", old=None, new=row.title, at=now
            )
            touched.append(item.id)
            continue
        if not row.changes:
            continue
        stored = session.get(ActionItem, row.action_id)
        assert stored is not None
        item = stored
        for name in row.changes:
            old = getattr(item, name)
            new = getattr(row, name)
            setattr(item, name, new)
            store.add_change(
                session,
                action_id=row.action_id,
                actor=ACTOR,
                field=name,
                old=_history(old),
                new=_history(new),
                at=now,
            )
        if "status" in row.changes:
            closed = row.status in (ActionStatus.done.value, ActionStatus.cancelled.value)
            item.closed_at = now if closed else None
        item.updated_at = now
        session.add(item)
        touched.append(row.action_id)
    session.flush()
    return touched


# --- one value ---------------------------------------------------------------------------------


def _blank(cells: Iterable[Any]) -> bool:
    return all(value is None or str(value).strip() == "" for value in cells)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def _history(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _title(value: Any, refuse: Callable[[str, str], ImportRefused]) -> str:
    title = " ".join(_text(value).split())
    if not title:
        raise refuse("title", "empty (every item needs a title)")
    if len(title) > TITLE_MAX:
        raise refuse("title", f"{len(title)} characters (at most {TITLE_MAX})")
    try:
        check_no_broadcast(title, locale="en")
    except InvalidInput as error:
        raise refuse("title", error.in_locale("en")) from None
    return title


def _date(value: Any, today: date, refuse: Callable[[str, str], ImportRefused]) -> date:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = _text(value)
        if not text:
            raise refuse("due", "empty (every item needs a due date, YYYY-MM-DD)")
        parsed = _parse_day(text)
        if parsed is None:
            raise refuse("due", f'"{text}" is not a date (write YYYY-MM-DD, e.g. 2027-03-19, or DD/MM/YYYY)')
        day = parsed
    limit = today + timedelta(days=round(365.25 * PLANNING_YEARS))
    if day > limit:
        raise refuse("due", f"{day} is more than {PLANNING_YEARS} years ahead (at most {limit})")
    return day


def _parse_day(text: str) -> date | None:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T].*)?", text):
            return date.fromisoformat(text[:10])
        return _dmy(text)
    except ValueError:
        return None


def _dmy(text: str) -> date | None:
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if not match:
        return None
    day, month, year = (int(part) for part in match.groups())
    return date(year, month, day)  # ValueError for 31/02: caught by the caller


def _word(
    value: Any,
    reader: Callable[[str], str | None],
    default: str,
    key: str,
    refuse: Callable[[str, str], ImportRefused],
) -> str:
    text = _text(value)
    if not text:
        return default
    found = reader(text)
    if found is None:
        allowed = (
            "high, medium, low / haute, moyenne, basse"
            if key == "priority"
            else "open, in_progress, done, cancelled / ouverte, en cours, faite, annulée"
        )
        raise refuse(key, f'"{text}" is not a {key} (allowed: {allowed})')
    return found


def _progress(value: Any, status: str, refuse: Callable[[str, str], ImportRefused]) -> int:
    if isinstance(value, bool):
        raise refuse("progress", f'"{value}" is not a percentage (allowed: 0 to 100)')
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Excel stores "50 %" as 0.5 in a percentage cell.
        number = value * 100 if 0 < value < 1 else value
        if float(number).is_integer() and 0 <= number <= 100:
            return int(number)
        raise refuse("progress", f'"{value}" is not a whole percentage (allowed: 0 to 100)')
    text = _text(value).rstrip("%").strip()
    if not text:
        return 100 if status == ActionStatus.done.value else 0
    if not text.isdigit() or not 0 <= int(text) <= 100:
        raise refuse("progress", f'"{_text(value)}" is not a percentage (allowed: 0 to 100)')
    return int(text)


def _names(session: Session) -> dict[str, list[str]]:
    """Display names the bot knows -> user ids (a name two people share is ambiguous)."""
    found: dict[str, list[str]] = {}
    for row in session.exec(select(SlackUser).where(col(SlackUser.name).is_not(None))).all():
        found.setdefault(str(row.name), []).append(row.user_id)
    return found


def _owner(
    owner_id: Any,
    owner: Any,
    names: dict[str, list[str]],
    emails: dict[str, str | None],
    lookup_email: EmailLookup | None,
    refuse: Callable[[str, str], ImportRefused],
    columns: dict[str, int],
) -> str:
    slack_id = _text(owner_id)
    if slack_id:
        if not USER_ID_RE.fullmatch(slack_id):
            raise refuse("owner_id", f'"{slack_id}" is not a Slack user id (e.g. U024BE7LH)')
        return slack_id
    text = _text(owner)
    if not text:
        raise refuse(
            "owner" if "owner" in columns else "owner_id",
            "empty (give a Slack id, an e-mail or a display name)",
        )
    mention = MENTION_RE.fullmatch(text)
    if mention:
        return mention.group(1)
    if USER_ID_RE.fullmatch(text):
        return text
    if EMAIL.fullmatch(text):
        address = text.lower()
        if address not in emails:
            if lookup_email is None:
                raise refuse(
                    "owner",
                    f"{text}: looking up an e-mail needs Slack (set SLACK_BOT_TOKEN) or give the Slack id instead",
                )
            emails[address] = lookup_email(address)
        if emails[address] is None:
            raise refuse("owner", f"no Slack user has the e-mail {text}")
        return emails[address]  # type: ignore[return-value]
    ids = names.get(text, [])
    if len(ids) == 1:
        return ids[0]
    if len(ids) > 1:
        raise refuse(
            "owner", f'"{text}" is the display name of {len(ids)} users ({", ".join(ids)}): give the Slack id'
        )
    raise refuse(
        "owner",
        f'no Slack user named "{text}" (give a Slack id such as U024BE7LH, an e-mail or the exact display name)',
    )


def slack_email_lookup(client: Any) -> EmailLookup:
    """``users.lookupByEmail`` through ``client``: the user id, or None for ``users_not_found``."""

    def lookup(address: str) -> str | None:
        try:
            return client.users_lookupByEmail(email=address)["user"]["id"]
        except SlackApiError as error:
            if error.response.get("error") == "users_not_found":
                return None
            raise ImportRefused(f"Slack refused users.lookupByEmail: {error.response.get('error')}") from None

    return lookup
