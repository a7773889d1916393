"""`manage.py metrics`: the practice's figures for a period (../shared/contracts/metrics.md)."""

import datetime
import json
import sys
import zoneinfo
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db.models import Q
from django_scopes import scopes_disabled

from coordinator.models import Membership, Practice
from metrics.selectors import Period, practice_metrics


class _Refused(Exception):
    pass


def _date(text: str, flag: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise _Refused(f'{flag}: "{text}" is not a date (YYYY-MM-DD)') from None


def _staff(practice: Practice, who: str | None, flag: str):
    if not who:
        return None
    membership = (
        Membership.objects.filter(practice=practice)
        .filter(Q(ref=who) | Q(user__email__iexact=who))
        .select_related("user")
        .first()
    )
    if membership is None:
        raise _Refused(f'{flag}: no staff member "{who}" at {practice.slug}')
    return membership.user


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


class Command(BaseCommand):
    help = "Print a practice's case acceptance, presentation, production and follow-up figures."

    def add_arguments(self, parser):
        parser.add_argument("--practice", required=True, help="the practice's slug")
        parser.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="last day (inclusive), YYYY-MM-DD")
        parser.add_argument("--as-of", help="the last day whose events count (default today)")
        parser.add_argument("--coordinator", help="staff ref or e-mail")
        parser.add_argument("--dentist", help="staff ref or e-mail")
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args, **options):
        try:
            with scopes_disabled():
                document = self._figures(options)
        except _Refused as error:
            self.stderr.write(f"error: {error}")
            sys.exit(2)
        if options["json"]:
            self.stdout.write(json.dumps(document))
            return
        width = max(len(name) for name in document)
        for name, value in document.items():
            shown = "—" if value is None else value
            self.stdout.write(f"{name:<{width}}  {shown}")

    def _figures(self, options) -> dict:
        practice = Practice.objects.filter(slug=options["practice"]).first()
        if practice is None:
            raise _Refused(f'--practice: no practice "{options["practice"]}"')
        start = _date(options["start"], "--start")
        end = _date(options["end"], "--end")
        if end < start:
            raise _Refused("--end: the period ends before it starts")
        today = datetime.datetime.now(zoneinfo.ZoneInfo(practice.timezone)).date()
        as_of = _date(options["as_of"], "--as-of") if options["as_of"] else today
        metrics = practice_metrics(
            practice=practice,
            period=Period(start, end, as_of),
            coordinator=_staff(practice, options["coordinator"], "--coordinator"),
            dentist=_staff(practice, options["dentist"], "--dentist"),
        )
        header = {
            "practice": practice.slug,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "as_of": as_of.isoformat(),
        }
        return header | {name: _json_value(value) for name, value in metrics.as_dict().items()}
