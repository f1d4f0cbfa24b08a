"""What every command shares: one-line errors with exit status 2, the date type, opening the database."""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from bot.run.startup import StartupError
from storage.db import (
    DatabaseUnreachable,
    DatabaseUrlError,
    SchemaOutOfDate,
    check_schema,
    describe_unreachable,
    make_engine,
)
from storage.models import ActionStatus

FORMATS = ("text", "json")


STATUSES = tuple(status.value for status in ActionStatus)


class CliError(click.ClickException):
    """Bad input or a refused operation: one line on stderr, exit status 2 (or ``exit_code``)."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        # click types exit_code as a ClassVar, but reads it from the instance: one error, its status.
        self.exit_code = exit_code  # type: ignore[misc]


class OneLineErrors(click.Group):
    """A click group whose errors are one line on stderr: usage and configuration errors with exit
    status 2, runtime failures (database or Slack unreachable or refusing) with 1. ``--debug``
    anywhere before ``--`` lets the exception through, traceback included."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        argv = list(args) if args is not None else sys.argv[1:]
        debug = "--debug" in (argv[: argv.index("--")] if "--" in argv else argv)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            hint = f" (see `{error.ctx.command_path} --help`)" if error.ctx else ""
            click.echo(f"Error: {one_line(error.format_message())}{hint}", err=True)
            sys.exit(2)
        except click.ClickException as error:
            click.echo(f"Error: {one_line(error.format_message())}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except Exception as error:  # an operator sees one line; --debug shows the rest
            if debug:
                raise
            message, status = operator_error(error)
            click.echo(f"Error: {message}", err=True)
            sys.exit(status)
        sys.exit(result if isinstance(result, int) else 0)


def operator_error(error: Exception) -> tuple[str, int]:
    """The one line and exit status for an exception that ended a command (no traceback).

    Configuration (2): a malformed DATABASE_URL, an out-of-date schema, a missing setting.
    Runtime (1): the database or Slack cannot be reached or refused us, or anything unexpected.
    """
    if isinstance(error, StartupError):
        return one_line(str(error)), error.exit_code
    if isinstance(error, (DatabaseUrlError, SchemaOutOfDate)):
        return one_line(str(error)), 2
    if isinstance(error, DatabaseUnreachable):
        return one_line(str(error)), 1
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)) or (
        isinstance(error, sa_exc.ProgrammingError) and "permission denied" in str(error).lower()
    ):
        return one_line(describe_unreachable(error)), 1
    where = ""
    if error.__traceback__ is not None:
        frame = traceback.extract_tb(error.__traceback__)[-1]
        where = f" at {Path(frame.filename).name}:{frame.lineno}"
    return (
        one_line(
            f"unexpected {type(error).__name__}{where}: {error} (run again with --debug for the traceback)"
        ),
        1,
    )


def one_line(text: str) -> str:
    return " ".join(text.split())


# Days and instants the command line accepts (--from, --to, --start, --now): the planner's date
# arithmetic reaches months around them, which year 1 or 9999 would overflow.
CLI_FIRST_DAY = date(2000, 1, 1)
CLI_LAST_DAY = date(2100, 12, 31)
# The longest --from/--to window: the planning range.
MAX_WINDOW_DAYS = 5 * 366


class _DateType(click.ParamType):
    """A calendar day written ``YYYY-MM-DD``."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            self.fail(f'"{value}" is not a date (write YYYY-MM-DD, e.g. 2027-01-31)', param, ctx)
        if not CLI_FIRST_DAY <= day <= CLI_LAST_DAY:
            self.fail(f'"{value}" is out of range (allowed: {CLI_FIRST_DAY} to {CLI_LAST_DAY})', param, ctx)
        return day


DATE = _DateType()


def open_database(ctx: click.Context, *, check: bool = True) -> Engine:
    """The engine of ``DATABASE_URL``/``DATABASE_SCHEMA``, disposed when the command ends.

    With ``check`` (every command but ``db upgrade``), a database behind the code's migrations is
    refused with the command that fixes it.
    """
    engine = make_engine()
    ctx.call_on_close(engine.dispose)
    if check:
        try:
            check_schema(engine)
        except SchemaOutOfDate as error:
            raise CliError(str(error)) from None
    return engine


def check_window(first: date, last: date) -> None:
    if last < first:
        raise CliError(
            f"--to {last} is before --from {first} (--to is the last day of the window, on or after --from)"
        )
    if (last - first).days >= MAX_WINDOW_DAYS:
        raise CliError(
            f"--from {first} --to {last} spans {(last - first).days + 1} days "
            f"(allowed: at most {MAX_WINDOW_DAYS} days, five years)"
        )


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def local_time(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))
