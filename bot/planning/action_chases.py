"""The chase of action items as planned rows: each item on its committee's window (same rules and
keys as the horizon), or on the workspace calendar when it has no active committee."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core import calendar as calendar_mod
from bot.core import timeline as timeline_mod
from bot.core.timeline import Planned
from bot.planning import plan_guard, window
from storage import committees as committees_store
from storage import notifications as store
from storage.models import ActionItem, Committee, SlackUser

# A new subject is planned from this far back, so that messages planned "before now" that are
# still valid are sent at once (a save-the-date 60 days ahead of a meeting created 30 days ahead).
LOOKBACK = timedelta(days=120)


def committee_key_of(session: Session, action: ActionItem) -> str | None:
    """The key of the action's committee when it is active (its chase then follows that committee)."""
    if action.committee_id is None:
        return None
    committee = session.get(Committee, action.committee_id)
    return committee.key if committee is not None and committee.active else None


COMMITTEE = "committee:"

ACTION = "action:"


def plan_action_chases(
    session: Session, actions: list[ActionItem], *, now: datetime, horizon: timedelta
) -> tuple[list[Planned], datetime]:
    """The whole chase of ``actions`` up to their committee's planned window (at least ``now + horizon``).

    Actions of an active committee are planned by ``plan_window`` on that committee (the same
    rules as the horizon, hence the same keys); the others in the workspace's calendar, like
    ``plan_window`` does for committee-less actions.
    """
    until = now + horizon
    by_committee: dict[str | None, list[ActionItem]] = defaultdict(list)
    for action in actions:
        by_committee[committee_key_of(session, action)].append(action)
    planned: list[Planned] = []
    for key, group in by_committee.items():
        ids = {action.id for action in group}
        if key is None:
            planned.extend(plan_loose_actions(session, group, until=until))
            continue
        committee = committees_store.get_committee(session, key=key)
        assert committee is not None and committee.id is not None
        mark = store.get_mark(session, f"{COMMITTEE}{committee.id}")
        end = max(until, mark.planned_until) if mark and mark.planned_until else until
        in_window = window.plan_window(session, start=now - LOOKBACK, end=end, committee_key=key)
        planned.extend(p for p in in_window if p.action_id in ids)
    return planned, until


def plan_loose_actions(session: Session, actions: list[ActionItem], *, until: datetime) -> list[Planned]:
    """Actions without an active committee: workspace calendar, owner's zone, no chair to escalate to."""
    workspace = committees_store.get_workspace(session)
    business = calendar_mod.business_calendar(None, workspace)
    planned: list[Planned] = []
    for action in actions:
        committee = session.get(Committee, action.committee_id) if action.committee_id else None
        user = session.get(SlackUser, action.owner)
        owner_tz = (user.tz if user and user.tz else None) or (
            committee.timezone if committee else workspace.timezone
        )
        last_day = (until - timedelta(microseconds=1)).astimezone(ZoneInfo(owner_tz)).date()
        chase = plan_guard.guarded(
            f"action:{action.id}",
            partial(
                timeline_mod.plan_action,
                action,
                owner_tz=owner_tz,
                calendar=business,
                chair=None,
                until=last_day,
            ),
            action_id=action.id,
        )
        planned.extend(p for p in chase if p.at < until)
    return planned
