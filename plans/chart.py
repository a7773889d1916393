"""Where each tooth sits on the plan page's chart, and how planned work marks it (pure).

The chart is drawn as the dentist faces the patient: the patient's right is on the viewer's
left. Universal numbering: upper 1-16 from the patient's right, lower 17-32 from the patient's
left (so 32 is drawn under 1); primary teeth A-J upper and K-T lower, the same way.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from plans.models import ProcedureStatus

P = ProcedureStatus

# Tooth widths from the back of one side to the midline (third molar to central incisor).
_PERMANENT_WIDTHS = (38, 38, 40, 30, 30, 28, 25, 29)
_PRIMARY_WIDTHS = (32, 30, 25, 22, 24)
_GAP = 4
_MARGIN = 20
_CURVE = 14  # how far the middle of each row bends towards the bite line

# When one tooth has several procedures, the colour shows the one furthest along.
_STATUS_WEIGHT = {
    P.COMPLETED: 6,
    P.SCHEDULED: 5,
    P.ACCEPTED: 4,
    P.PROPOSED: 3,
    P.DEFERRED: 2,
    P.DECLINED: 1,
}


@dataclass(frozen=True)
class ChartTooth:
    label: str
    x: float
    y: float
    width: int
    height: int
    upper: bool
    # Filled in for teeth with planned work in the shown option.
    status: str = ""
    work: tuple[str, ...] = ()

    @property
    def cx(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def label_y(self) -> float:
        return round(self.y + self.height / 2 + 5, 1)

    @property
    def work_y(self) -> float:
        """Where the code of the planned work is written: outside the row, away from the bite."""
        return round(self.y - 7 if self.upper else self.y + self.height + 15, 1)

    @property
    def aria_label(self) -> str:
        if not self.work:
            return f"Tooth {self.label}, no planned work"
        return f"Tooth {self.label}: {', '.join(self.work)} ({P(self.status).label.lower()})"

    @property
    def first_work(self) -> str:
        if not self.work:
            return ""
        return self.work[0] if len(self.work) == 1 else f"{self.work[0]}+{len(self.work) - 1}"


@dataclass(frozen=True)
class Chart:
    teeth: tuple[ChartTooth, ...]
    width: int
    height: int
    primary: bool

    @property
    def midline_x(self) -> float:
        return self.width / 2


def _row(
    labels: Iterable[str], half_widths: tuple[int, ...], *, top: float, height: int, upper: bool
) -> list[ChartTooth]:
    widths = [*half_widths, *reversed(half_widths)]
    total = sum(widths) + _GAP * (len(widths) - 1)
    x: float = _MARGIN  # SVG coordinates, not money
    middle = _MARGIN + total / 2
    teeth = []
    for label, width in zip(labels, widths, strict=True):
        centre = x + width / 2
        # A gentle arch: the front teeth sit nearer the bite line than the molars.
        bend = _CURVE * (1 - ((centre - middle) / (total / 2)) ** 2)
        y = top + bend if upper else top - bend
        teeth.append(ChartTooth(label, x, round(y, 1), width, height, upper))
        x += width + _GAP
    return teeth


def chart_layout(*, primary: bool) -> Chart:
    """The teeth of a permanent (1-32) or primary (A-T) chart, with their boxes."""
    if primary:
        widths, height, upper_labels = _PRIMARY_WIDTHS, 38, "ABCDEFGHIJ"
        lower_labels = "TSRQPONMLK"
    else:
        widths, height = _PERMANENT_WIDTHS, 46
        upper_labels = [str(n) for n in range(1, 17)]
        lower_labels = [str(n) for n in range(32, 16, -1)]
    row_width = 2 * sum(widths) + _GAP * (2 * len(widths) - 1)
    upper_top = 26
    lower_top = upper_top + height + 2 * _CURVE + 22
    teeth = _row(upper_labels, widths, top=upper_top, height=height, upper=True)
    teeth += _row(lower_labels, widths, top=lower_top, height=height, upper=False)
    return Chart(
        teeth=tuple(teeth),
        width=row_width + 2 * _MARGIN,
        height=lower_top + height + 26,
        primary=primary,
    )


@dataclass(frozen=True)
class ToothWork:
    tooth: str
    code: str
    status: str


def mark_work(chart: Chart, work: Iterable[ToothWork]) -> Chart:
    """The chart with each tooth that has planned work coloured by its furthest-along status."""
    by_tooth: dict[str, list[ToothWork]] = {}
    for item in work:
        by_tooth.setdefault(item.tooth, []).append(item)
    teeth = []
    for tooth in chart.teeth:
        items = by_tooth.get(tooth.label)
        if items:
            status = max((item.status for item in items), key=lambda s: _STATUS_WEIGHT.get(s, 0))
            tooth = ChartTooth(
                tooth.label,
                tooth.x,
                tooth.y,
                tooth.width,
                tooth.height,
                tooth.upper,
                status=status,
                work=tuple(item.code for item in items),
            )
        teeth.append(tooth)
    return Chart(teeth=tuple(teeth), width=chart.width, height=chart.height, primary=chart.primary)
