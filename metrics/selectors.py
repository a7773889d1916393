"""The practice's figures, defined once (../shared/DOMAIN.md "The metrics" and
../shared/contracts/metrics.md) and computed in the database.

`practice_metrics` is what the `metrics` command prints; the dashboard reads the same function.
Every count and sum comes from one SQL statement per family of figures; Python only divides.
"""

import datetime
import enum
import uuid
import zoneinfo
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from coordinator.models import Practice, User
from metrics.models import PracticeGoals
from plans.models import PlanStatus, TreatmentPlan

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


def _user_param(user: User | None):
    return User._meta.pk.get_db_prep_value(user.pk, connection) if user else None


def _params(practice: Practice, period: Period, coordinator: User | None, dentist: User | None):
    return _bounds(practice, period) | {
        "coordinator": _user_param(coordinator),
        "dentist": _user_param(dentist),
    }


def _money(amount) -> Decimal:
    # SQLite answers sums of decimals as floats or integers; the database did the adding.
    return Decimal(str(amount or 0)).quantize(CENT)


def practice_metrics(
    *,
    practice: Practice,
    period: Period,
    coordinator: User | None = None,
    dentist: User | None = None,
) -> Metrics:
    params = _params(practice, period, coordinator, dentist)
    with connection.cursor() as cursor:
        cursor.execute(_cases_sql(), params)
        cases = cursor.fetchone()
        cursor.execute(_DIAGNOSED_SQL, params)
        diagnosed = cursor.fetchone()
        cursor.execute(_PRODUCTION_SQL, params)
        production = cursor.fetchone()
    return _metrics(cases, diagnosed, production)


def _metrics(cases, diagnosed_row, production_row) -> Metrics:
    """Figures from the three families' rows of counts and sums; Python only divides."""
    presented, presented_value, accepted, accepted_value, followed, converted = cases
    diagnosed, diagnosed_presented = diagnosed_row
    production, patients, visits = production_row
    presented_value, accepted_value, production = (
        _money(amount) for amount in (presented_value, accepted_value, production)
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
    SELECT p.id, p.dentist_id FROM plans_treatmentplan p
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


# The period's cohorts. Each row carries who made the first presentation and the plan's
# dentist, so the same CTEs serve the figures, their cuts and the lists of cases behind them.
_COHORTS = """,
cohort AS (
    SELECT fp.plan_id, fp.presentation_id, fp.presented_by_id, plans.dentist_id
    FROM first_presentation fp JOIN plans ON plans.id = fp.plan_id
    WHERE fp.at >= %(start)s AND fp.at < %(end)s
      AND (%(coordinator)s IS NULL OR fp.presented_by_id = %(coordinator)s)
),
followed AS (
    -- A counted touch comes before every acceptance, so a case converted exactly when it has
    -- any acceptance by as_of.
    SELECT ft.plan_id, ft.at, ft.presented_by_id, plans.dentist_id,
           CASE WHEN EXISTS (SELECT 1 FROM decisions d
                             WHERE d.plan_id = ft.plan_id AND d.kind = 'accepted')
                  OR EXISTS (SELECT 1 FROM completed c WHERE c.plan_id = ft.plan_id)
                THEN 1 ELSE 0 END AS converted
    FROM first_touch ft JOIN plans ON plans.id = ft.plan_id
    WHERE ft.at >= %(start)s AND ft.at < %(end)s
      AND (%(coordinator)s IS NULL OR ft.presented_by_id = %(coordinator)s)
)
"""


def _cases_sql() -> str:
    return (
        "WITH "
        + _case_facts()
        + _COHORTS
        + """
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


_DIAGNOSED_FIGURES = """count(*),
       COALESCE(sum(CASE WHEN EXISTS (SELECT 1 FROM plans_presentation pr
                                      WHERE pr.plan_id = p.id AND pr.at < %(as_of_end)s)
                         THEN 1 ELSE 0 END), 0)"""
_DIAGNOSED_FROM = """
FROM plans_treatmentplan p
WHERE p.practice_id = %(practice)s
  AND (%(dentist)s IS NULL OR p.dentist_id = %(dentist)s)
  AND p.diagnosed_at >= %(start)s AND p.diagnosed_at < %(end)s
  AND p.diagnosed_at < %(as_of_end)s
"""
_DIAGNOSED_SQL = f"SELECT {_DIAGNOSED_FIGURES}{_DIAGNOSED_FROM}"

# Production of a planned procedure belongs to its plan's dentist; unplanned work to the
# dentist recorded with it. A visit is a patient on a day.
_PRODUCTION_FIGURES = """COALESCE(sum(c.fee), 0),
       count(DISTINCT c.patient_id),
       count(DISTINCT CAST(c.patient_id AS TEXT) || '|' || CAST(c.completed_on AS TEXT))"""
_PRODUCTION_JOINS = """
FROM plans_completedprocedure c
LEFT JOIN plans_plannedprocedure pp ON pp.id = c.planned_id
LEFT JOIN plans_treatmentoption o ON o.id = pp.option_id
LEFT JOIN plans_treatmentplan p ON p.id = o.plan_id
"""
_PRODUCTION_WHERE = """
WHERE c.practice_id = %(practice)s
  AND c.completed_on >= %(start_date)s AND c.completed_on <= %(end_date)s
  AND (%(dentist)s IS NULL OR COALESCE(p.dentist_id, c.dentist_id) = %(dentist)s)
"""
_PRODUCTION_SQL = f"SELECT {_PRODUCTION_FIGURES}{_PRODUCTION_JOINS}{_PRODUCTION_WHERE}"


# --- Cuts: the same figures for every coordinator or dentist at once -------------------------


class Cut(enum.StrEnum):
    COORDINATOR = "coordinator"  # who made the case's first presentation
    DENTIST = "dentist"  # the plan's dentist


_CUT_COLUMN = {Cut.COORDINATOR: "presented_by_id", Cut.DENTIST: "dentist_id"}
_CASE_FIGURES = 6  # presented, presented value, accepted, accepted value, followed, converted
_CASE_COUNTS = frozenset({0, 2, 4, 5})


def _cases_by_sql(cut: Cut) -> str:
    key = _CUT_COLUMN[cut]  # a constant column name, never user input
    return (
        "WITH "
        + _case_facts()
        + _COHORTS
        + f"""
SELECT 0, cohort.{key}, count(*) FROM cohort GROUP BY cohort.{key}
UNION ALL
SELECT 1, cohort.{key}, COALESCE(sum(pp.fee), 0)
FROM cohort
JOIN plans_presentedoption po ON po.presentation_id = cohort.presentation_id AND po.recommended
JOIN plans_presentedprocedure pp ON pp.presented_option_id = po.id
GROUP BY cohort.{key}
UNION ALL
SELECT 2, cohort.{key}, count(DISTINCT ap.plan_id)
FROM accepted_procs ap JOIN cohort ON cohort.plan_id = ap.plan_id GROUP BY cohort.{key}
UNION ALL
SELECT 3, cohort.{key}, COALESCE(sum(ap.fee), 0)
FROM accepted_procs ap JOIN cohort ON cohort.plan_id = ap.plan_id GROUP BY cohort.{key}
UNION ALL
SELECT 4, followed.{key}, count(*) FROM followed GROUP BY followed.{key}
UNION ALL
SELECT 5, followed.{key}, COALESCE(sum(converted), 0) FROM followed GROUP BY followed.{key}
"""
    )


_DIAGNOSED_BY_DENTIST_SQL = (
    f"SELECT p.dentist_id, {_DIAGNOSED_FIGURES}{_DIAGNOSED_FROM} GROUP BY p.dentist_id"
)
_PRODUCTION_BY_DENTIST_SQL = (
    f"SELECT COALESCE(p.dentist_id, c.dentist_id), {_PRODUCTION_FIGURES}"
    f"{_PRODUCTION_JOINS}{_PRODUCTION_WHERE} GROUP BY COALESCE(p.dentist_id, c.dentist_id)"
)


def _key(value) -> uuid.UUID | None:
    # PostgreSQL answers UUIDs, SQLite their hex text.
    return None if value is None else uuid.UUID(str(value))


def practice_metrics_by(
    *,
    practice: Practice,
    period: Period,
    cut: Cut,
    coordinator: User | None = None,
    dentist: User | None = None,
) -> dict[uuid.UUID | None, Metrics]:
    """`practice_metrics` for every member of the cut at once, in three queries.

    Each value equals `practice_metrics(..., coordinator=member)` (or `dentist=member`) with the
    other filter kept; the cut's own filter is replaced by the grouping. Keys are user ids.
    """
    if cut == Cut.COORDINATOR:
        coordinator = None
    else:
        dentist = None
    params = _params(practice, period, coordinator, dentist)
    cases: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(_cases_by_sql(cut), params)
        for figure, key, value in cursor.fetchall():
            row = cases.setdefault(_key(key), [0] * _CASE_FIGURES)
            row[figure] = int(value) if figure in _CASE_COUNTS else value
        if cut == Cut.COORDINATOR:
            # Diagnosis and production are nobody's presentation: the same for every coordinator.
            cursor.execute(_DIAGNOSED_SQL, params)
            diagnosed = dict.fromkeys(cases, cursor.fetchone())
            cursor.execute(_PRODUCTION_SQL, params)
            production = dict.fromkeys(cases, cursor.fetchone())
        else:
            cursor.execute(_DIAGNOSED_BY_DENTIST_SQL, params)
            diagnosed = {_key(key): row for key, *row in cursor.fetchall()}
            cursor.execute(_PRODUCTION_BY_DENTIST_SQL, params)
            production = {_key(key): row for key, *row in cursor.fetchall()}
    keys = set(cases) | set(diagnosed) | set(production)
    return {
        key: _metrics(
            cases.get(key, [0] * _CASE_FIGURES),
            diagnosed.get(key, (0, 0)),
            production.get(key, (0, 0, 0)),
        )
        for key in keys
    }


# --- The cases behind each figure -------------------------------------------------------------


class Figure(enum.StrEnum):
    """A count that opens a list: the cases (or, for production, the work) behind it."""

    PRESENTED = "presented"
    ACCEPTED = "accepted"
    DIAGNOSED = "diagnosed"
    DIAGNOSED_PRESENTED = "diagnosed-presented"
    FOLLOWED_UP = "followed-up"
    CONVERTED = "converted"
    PRODUCTION = "production"


# Which plans each list holds: constant fragments over the CTEs above.
_LISTED = {
    Figure.PRESENTED: "SELECT plan_id FROM cohort",
    Figure.ACCEPTED: """SELECT plan_id FROM cohort
        WHERE EXISTS (SELECT 1 FROM accepted_procs ap WHERE ap.plan_id = cohort.plan_id)""",
    Figure.DIAGNOSED: "SELECT plan_id FROM diagnosed",
    Figure.DIAGNOSED_PRESENTED: """SELECT plan_id FROM diagnosed
        WHERE plan_id IN (SELECT plan_id FROM first_presentation)""",
    Figure.FOLLOWED_UP: "SELECT plan_id FROM followed",
    Figure.CONVERTED: "SELECT plan_id FROM followed WHERE converted = 1",
}


def _case_rows_sql(figure: Figure) -> str:
    return (
        "WITH "
        + _case_facts()
        + _COHORTS
        + f""",
diagnosed AS (
    -- Every plan diagnosed in the period (the dentist filter applies through `plans`).
    SELECT p.id AS plan_id FROM plans_treatmentplan p JOIN plans ON plans.id = p.id
    WHERE p.diagnosed_at >= %(start)s AND p.diagnosed_at < %(end)s
      AND p.diagnosed_at < %(as_of_end)s
),
listed AS ({_LISTED[figure]}),
presented_values AS (
    SELECT fp.plan_id, sum(pp.fee) AS value
    FROM first_presentation fp
    JOIN listed ON listed.plan_id = fp.plan_id
    JOIN plans_presentedoption po ON po.presentation_id = fp.presentation_id AND po.recommended
    JOIN plans_presentedprocedure pp ON pp.presented_option_id = po.id
    GROUP BY fp.plan_id
),
accepted_values AS (
    SELECT ap.plan_id, sum(ap.fee) AS value
    FROM accepted_procs ap JOIN listed ON listed.plan_id = ap.plan_id
    GROUP BY ap.plan_id
)
SELECT p.id, p.title, p.created_at, p.status, p.diagnosed_at,
       pa.id, pa.first_name, pa.last_name,
       fp.at, presenter.name, dentist.name, ft.at,
       COALESCE(pv.value, 0), COALESCE(av.value, 0)
FROM listed
JOIN plans_treatmentplan p ON p.id = listed.plan_id
JOIN patients_patient pa ON pa.id = p.patient_id
JOIN coordinator_user dentist ON dentist.id = p.dentist_id
LEFT JOIN first_presentation fp ON fp.plan_id = p.id
LEFT JOIN coordinator_user presenter ON presenter.id = fp.presented_by_id
LEFT JOIN first_touch ft ON ft.plan_id = p.id
LEFT JOIN presented_values pv ON pv.plan_id = p.id
LEFT JOIN accepted_values av ON av.plan_id = p.id
ORDER BY CASE WHEN fp.at IS NULL THEN 1 ELSE 0 END, fp.at, p.diagnosed_at, p.id
"""
    )


_WORK_ROWS_SQL = f"""
SELECT c.completed_on, c.fee, code.code, code.description, c.tooth,
       pa.id, pa.first_name, pa.last_name,
       p.id, p.title, p.created_at, p.status,
       COALESCE(plan_dentist.name, work_dentist.name)
{_PRODUCTION_JOINS}
JOIN plans_procedurecode code ON code.id = c.procedure_code_id
JOIN patients_patient pa ON pa.id = c.patient_id
LEFT JOIN coordinator_user plan_dentist ON plan_dentist.id = p.dentist_id
LEFT JOIN coordinator_user work_dentist ON work_dentist.id = c.dentist_id
{_PRODUCTION_WHERE}
ORDER BY c.completed_on, pa.last_name, pa.first_name, c.id
"""


@dataclass(frozen=True)
class CaseRow:
    """One case behind a figure, with its values as the figures count them."""

    plan_id: uuid.UUID
    plan_label: str
    status: str
    status_label: str
    diagnosed_at: datetime.datetime | None
    patient_id: uuid.UUID
    patient_name: str
    first_presented_at: datetime.datetime | None
    presented_by: str
    dentist: str
    first_touch_at: datetime.datetime | None
    presented_value: Decimal
    accepted_value: Decimal


@dataclass(frozen=True)
class WorkRow:
    """One completed procedure that production adds up."""

    completed_on: datetime.date
    fee: Decimal
    code: str
    description: str
    tooth: str
    patient_id: uuid.UUID
    patient_name: str
    plan_id: uuid.UUID | None
    plan_label: str
    status: str
    status_label: str
    dentist: str


def _moment(value) -> datetime.datetime | None:
    # SQLite answers timestamps in UTC as text or naive datetimes; PostgreSQL as aware ones.
    if value is None:
        return None
    moment = (
        value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(value)
    )
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _day(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _plan_label(plan_id, title: str, created_at) -> str:
    return str(TreatmentPlan(id=_key(plan_id), title=title or "", created_at=_moment(created_at)))


def _status_label(status: str) -> str:
    return PlanStatus(status).label if status in PlanStatus.values else status


def case_rows(
    *,
    practice: Practice,
    period: Period,
    figure: Figure,
    coordinator: User | None = None,
    dentist: User | None = None,
) -> list[CaseRow]:
    """The cases one count of `practice_metrics` counts, in one query (not PRODUCTION)."""
    params = _params(practice, period, coordinator, dentist)
    with connection.cursor() as cursor:
        cursor.execute(_case_rows_sql(figure), params)
        rows = cursor.fetchall()
    return [
        CaseRow(
            plan_id=_key(plan_id),
            plan_label=_plan_label(plan_id, title, created_at),
            status=status,
            status_label=_status_label(status),
            diagnosed_at=_moment(diagnosed_at),
            patient_id=_key(patient_id),
            patient_name=f"{last_name}, {first_name}",
            first_presented_at=_moment(presented_at),
            presented_by=presenter or "",
            dentist=dentist_name,
            first_touch_at=_moment(touched_at),
            presented_value=_money(presented_value),
            accepted_value=_money(accepted_value),
        )
        for (
            plan_id,
            title,
            created_at,
            status,
            diagnosed_at,
            patient_id,
            first_name,
            last_name,
            presented_at,
            presenter,
            dentist_name,
            touched_at,
            presented_value,
            accepted_value,
        ) in rows
    ]


def work_rows(*, practice: Practice, period: Period, dentist: User | None = None) -> list[WorkRow]:
    """The completed procedures that `production` adds up, in one query."""
    params = _params(practice, period, None, dentist)
    with connection.cursor() as cursor:
        cursor.execute(_WORK_ROWS_SQL, params)
        rows = cursor.fetchall()
    return [
        WorkRow(
            completed_on=_day(completed_on),
            fee=_money(fee),
            code=code,
            description=description,
            tooth=tooth,
            patient_id=_key(patient_id),
            patient_name=f"{last_name}, {first_name}",
            plan_id=_key(plan_id),
            plan_label=_plan_label(plan_id, title, created_at) if plan_id else "",
            status=status or "",
            status_label=_status_label(status) if status else "",
            dentist=dentist_name or "",
        )
        for (
            completed_on,
            fee,
            code,
            description,
            tooth,
            patient_id,
            first_name,
            last_name,
            plan_id,
            title,
            created_at,
            status,
            dentist_name,
        ) in rows
    ]


def practice_goals(*, practice: Practice) -> PracticeGoals:
    """The practice's goals; the defaults (75% case acceptance) until someone sets them."""
    goals = PracticeGoals.objects.filter(practice=practice).first()
    return goals or PracticeGoals(practice=practice)


def practice_staff(*, practice: Practice) -> list[User]:
    """Everyone who works or worked at the practice, by name: the filters' and cuts' people."""
    return list(
        User.objects.filter(memberships__practice=practice).order_by("name", "email").distinct()
    )
