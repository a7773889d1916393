"""The practice's figures, defined once (../shared/DOMAIN.md "The metrics" and
../shared/contracts/metrics.md) and computed in the database.

`practice_metrics` is what the `metrics` command prints; the dashboard reads the same function.
Every count and sum comes from one SQL statement per family of figures; Python only divides.
"""

import datetime
import zoneinfo
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from coordinator.models import Practice, User

RATE = Decimal("0.0001")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    as_of: datetime.date  # the last day whose events count


@dataclass(frozen=True)
class Metrics:
    cases_diagnosed: int
    cases_presented: int
    cases_accepted: int
    presented_value: Decimal
    accepted_value: Decimal
    case_acceptance_rate: Decimal | None
    presentation_rate: Decimal | None
    presentation_to_acceptance_ratio: Decimal | None
    production: Decimal
    patients_seen: int
    visits: int
    production_per_patient: Decimal | None
    production_per_visit: Decimal | None
    cases_followed_up: int
    cases_converted: int
    follow_up_conversion_rate: Decimal | None

    def as_dict(self) -> dict:
        return asdict(self)


def _rate(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE, rounding=ROUND_HALF_UP)


def _average(total: Decimal, count: int) -> Decimal | None:
    if not count:
        return None
    return (total / count).quantize(CENT, rounding=ROUND_HALF_UP)


def _bounds(practice: Practice, period: Period) -> dict:
    zone = zoneinfo.ZoneInfo(practice.timezone)
    ops = connection.ops

    def midnight(day: datetime.date):
        moment = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
        return ops.adapt_datetimefield_value(moment)

    one_day = datetime.timedelta(days=1)
    return {
        "practice": Practice._meta.pk.get_db_prep_value(practice.pk, connection),
        "tz": practice.timezone,
        "start": midnight(period.start),
        "end": midnight(period.end + one_day),
        "as_of_end": midnight(period.as_of + one_day),
        "start_date": ops.adapt_datefield_value(period.start),
        "end_date": ops.adapt_datefield_value(min(period.end, period.as_of)),
        "as_of": ops.adapt_datefield_value(period.as_of),
    }


def practice_metrics(
    *,
    practice: Practice,
    period: Period,
    coordinator: User | None = None,
    dentist: User | None = None,
) -> Metrics:
    params = _bounds(practice, period) | {
        "coordinator": coordinator.pk if coordinator else None,
        "dentist": dentist.pk if dentist else None,
    }
    with connection.cursor() as cursor:
        cursor.execute(_cases_sql(), params)
        (presented, presented_value, accepted, accepted_value, followed, converted) = (
            cursor.fetchone()
        )
        cursor.execute(_DIAGNOSED_SQL, params)
        diagnosed, diagnosed_presented = cursor.fetchone()
        cursor.execute(_PRODUCTION_SQL, params)
        production, patients, visits = cursor.fetchone()
    # SQLite answers sums of decimals as floats or integers; the database did the adding.
    presented_value, accepted_value, production = (
        Decimal(str(amount)).quantize(CENT)
        for amount in (presented_value, accepted_value, production)
    )
    return Metrics(
        cases_diagnosed=diagnosed,
        cases_presented=presented,
        cases_accepted=accepted,
        presented_value=presented_value,
        accepted_value=accepted_value,
        case_acceptance_rate=_rate(accepted_value, presented_value),
        presentation_rate=_rate(diagnosed_presented, diagnosed),
        presentation_to_acceptance_ratio=_rate(accepted, presented),
        production=production,
        patients_seen=patients,
        visits=visits,
        production_per_patient=_average(production, patients),
        production_per_visit=_average(production, visits),
        cases_followed_up=followed,
        cases_converted=converted,
        follow_up_conversion_rate=_rate(converted, followed),
    )


def _local_date(column: str) -> str:
    """SQL for the practice-local date of a timestamp column (PostgreSQL or SQLite)."""
    if connection.vendor == "postgresql":
        return f"CAST(({column} AT TIME ZONE %(tz)s) AS date)"
    # Django registers this function on every SQLite connection (it backs TruncDate).
    return f"django_datetime_cast_date({column}, %(tz)s, 'UTC')"


# The practice's cases (filtered by the plan's dentist) and what happened to them by as_of.
# Nothing dated after as_of exists: every event is cut at the end of that day. Written for
# both PostgreSQL and SQLite (the development database): window functions, no DISTINCT ON.
# A completion has a date and no time: it happens at the start of that day, so a moment t is
# before it exactly when t's local date is earlier.
def _case_facts() -> str:
    touch_day = _local_date("t.at")
    # Built from constant fragments only; every value is a query parameter.
    return f"""
plans AS (
    SELECT p.id FROM plans_treatmentplan p
    WHERE p.practice_id = %(practice)s
      AND (%(dentist)s IS NULL OR p.dentist_id = %(dentist)s)
),
procs AS (
    SELECT pp.id, o.plan_id, pp.fee
    FROM plans_plannedprocedure pp
    JOIN plans_treatmentoption o ON o.id = pp.option_id
    JOIN plans ON plans.id = o.plan_id
),
ranked_presentations AS (
    SELECT pr.plan_id, pr.id AS presentation_id, pr.at, pr.presented_by_id,
           ROW_NUMBER() OVER (PARTITION BY pr.plan_id ORDER BY pr.at, pr.recorded_at, pr.id) AS n
    FROM plans_presentation pr JOIN plans ON plans.id = pr.plan_id
    WHERE pr.at < %(as_of_end)s
),
first_presentation AS (
    SELECT plan_id, presentation_id, at, presented_by_id FROM ranked_presentations WHERE n = 1
),
decisions AS (
    SELECT d.procedure_id, procs.plan_id, d.kind, d.at, d.id
    FROM plans_decision d JOIN procs ON procs.id = d.procedure_id
    WHERE d.at < %(as_of_end)s
),
ranked_decisions AS (
    SELECT procedure_id, kind,
           ROW_NUMBER() OVER (PARTITION BY procedure_id ORDER BY at DESC, id DESC) AS n
    FROM decisions
),
completed AS (
    SELECT c.planned_id AS procedure_id, procs.plan_id, c.completed_on
    FROM plans_completedprocedure c JOIN procs ON procs.id = c.planned_id
    WHERE c.completed_on <= %(as_of)s
),
accepted_procs AS (
    SELECT procs.id, procs.plan_id, procs.fee FROM procs
    WHERE EXISTS (SELECT 1 FROM ranked_decisions rd
                  WHERE rd.procedure_id = procs.id AND rd.n = 1 AND rd.kind = 'accepted')
       OR EXISTS (SELECT 1 FROM completed c WHERE c.procedure_id = procs.id)
),
all_declined AS (
    -- The first decision time after which every procedure's latest decision is a decline.
    SELECT t.plan_id, min(t.at) AS at
    FROM (SELECT DISTINCT plan_id, at FROM decisions) t
    WHERE NOT EXISTS (
        SELECT 1 FROM procs p2
        WHERE p2.plan_id = t.plan_id
          AND COALESCE((SELECT d2.kind FROM decisions d2
                        WHERE d2.procedure_id = p2.id AND d2.at <= t.at
                        ORDER BY d2.at DESC, d2.id DESC LIMIT 1), '') <> 'declined')
    GROUP BY t.plan_id
),
undecided AS (
    -- From the first presentation until the first acceptance (an accepted decision or a
    -- completion) or the moment every procedure was declined.
    SELECT fp.plan_id, fp.at AS opens, fp.presented_by_id,
           (SELECT min(d.at) FROM decisions d
            WHERE d.plan_id = fp.plan_id AND d.kind = 'accepted') AS first_accepted_at,
           (SELECT min(c.completed_on) FROM completed c
            WHERE c.plan_id = fp.plan_id) AS first_completed_on,
           (SELECT ad.at FROM all_declined ad WHERE ad.plan_id = fp.plan_id) AS declined_at
    FROM first_presentation fp
),
first_touch AS (
    SELECT u.plan_id, u.presented_by_id, min(t.at) AS at
    FROM undecided u JOIN plans_touch t ON t.plan_id = u.plan_id
    WHERE t.at >= u.opens AND t.at < %(as_of_end)s
      AND (u.first_accepted_at IS NULL OR t.at < u.first_accepted_at)
      AND (u.declined_at IS NULL OR t.at < u.declined_at)
      AND (u.first_completed_on IS NULL OR {touch_day} < u.first_completed_on)
    GROUP BY u.plan_id, u.presented_by_id
)
"""


def _cases_sql() -> str:
    # A counted touch comes before every acceptance, so a case converted exactly when it has
    # any acceptance by as_of.
    return (
        "WITH "
        + _case_facts()
        + """,
cohort AS (
    SELECT fp.plan_id, fp.presentation_id FROM first_presentation fp
    WHERE fp.at >= %(start)s AND fp.at < %(end)s
      AND (%(coordinator)s IS NULL OR fp.presented_by_id = %(coordinator)s)
),
followed AS (
    SELECT ft.plan_id,
           CASE WHEN EXISTS (SELECT 1 FROM decisions d
                             WHERE d.plan_id = ft.plan_id AND d.kind = 'accepted')
                  OR EXISTS (SELECT 1 FROM completed c WHERE c.plan_id = ft.plan_id)
                THEN 1 ELSE 0 END AS converted
    FROM first_touch ft
    WHERE ft.at >= %(start)s AND ft.at < %(end)s
      AND (%(coordinator)s IS NULL OR ft.presented_by_id = %(coordinator)s)
)
SELECT
    (SELECT count(*) FROM cohort),
    (SELECT COALESCE(sum(pp.fee), 0)
     FROM cohort
     JOIN plans_presentedoption po ON po.presentation_id = cohort.presentation_id
                                   AND po.recommended
     JOIN plans_presentedprocedure pp ON pp.presented_option_id = po.id),
    (SELECT count(DISTINCT ap.plan_id) FROM accepted_procs ap
     JOIN cohort ON cohort.plan_id = ap.plan_id),
    (SELECT COALESCE(sum(ap.fee), 0) FROM accepted_procs ap
     JOIN cohort ON cohort.plan_id = ap.plan_id),
    (SELECT count(*) FROM followed),
    (SELECT COALESCE(sum(converted), 0) FROM followed)
"""
    )


_DIAGNOSED_SQL = """
SELECT count(*),
       COALESCE(sum(CASE WHEN EXISTS (SELECT 1 FROM plans_presentation pr
                                      WHERE pr.plan_id = p.id AND pr.at < %(as_of_end)s)
                         THEN 1 ELSE 0 END), 0)
FROM plans_treatmentplan p
WHERE p.practice_id = %(practice)s
  AND (%(dentist)s IS NULL OR p.dentist_id = %(dentist)s)
  AND p.diagnosed_at >= %(start)s AND p.diagnosed_at < %(end)s
  AND p.diagnosed_at < %(as_of_end)s
"""

# Production of a planned procedure belongs to its plan's dentist; unplanned work to the
# dentist recorded with it. A visit is a patient on a day.
_PRODUCTION_SQL = """
SELECT COALESCE(sum(c.fee), 0),
       count(DISTINCT c.patient_id),
       count(DISTINCT CAST(c.patient_id AS TEXT) || '|' || CAST(c.completed_on AS TEXT))
FROM plans_completedprocedure c
LEFT JOIN plans_plannedprocedure pp ON pp.id = c.planned_id
LEFT JOIN plans_treatmentoption o ON o.id = pp.option_id
LEFT JOIN plans_treatmentplan p ON p.id = o.plan_id
WHERE c.practice_id = %(practice)s
  AND c.completed_on >= %(start_date)s AND c.completed_on <= %(end_date)s
  AND (%(dentist)s IS NULL OR COALESCE(p.dentist_id, c.dentist_id) = %(dentist)s)
"""
