"""What every command shares: one-line errors with exit status 2, the date type, opening the database."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy.engine import Engine

from storage.db import SchemaOutOfDate, check_schema, make_engine
from storage.models import ActionStatus

UTC = timezone.utc


FORMATS = ("text", "json")


STATUSES = tuple(status.value for status in ActionStatus)


class CliError(click.ClickException):
    """Bad input or a refused operation: one line on stderr, exit status 2."""

    exit_code = 2


class OneLineErrors(click.Group):
    """A click group whose errors, usage errors included, are one line on stderr with exit status 2."""

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
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            hint = f" (see `{error.ctx.command_path} --help`)" if error.ctx else ""
            click.echo(f"Error: {one_line(error.format_message())}{hint}", err=True)
            sys.exit(2)
        except click.ClickException as error:
            click.echo(f"Error: {one_line(error.format_message())}", err=True)
            sys.exit(2)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def one_line(text: str) -> str:
    return " ".join(text.split())


class _DateType(click.ParamType):
    """A calendar day written ``YYYY-MM-DD``."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f'"{value}" is not a date (write YYYY-MM-DD, e.g. 2027-01-31)', param, ctx)


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


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def local_time(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))
