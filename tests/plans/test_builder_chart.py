"""The tooth chart's layout (universal numbering, as the dentist faces the patient) and marks."""

from plans.chart import ToothWork, chart_layout, mark_work
from plans.models import ProcedureStatus as P


def _labels(chart, upper):
    return [t.label for t in sorted(chart.teeth, key=lambda t: t.x) if t.upper is upper]


def test_permanent_teeth_run_1_to_16_on_top_and_32_to_17_below():
    chart = chart_layout(primary=False)
    assert _labels(chart, True) == [str(n) for n in range(1, 17)]
    assert _labels(chart, False) == [str(n) for n in range(32, 16, -1)]
    assert len({t.label for t in chart.teeth}) == 32


def test_primary_teeth_run_a_to_j_on_top_and_t_to_k_below():
    chart = chart_layout(primary=True)
    assert _labels(chart, True) == list("ABCDEFGHIJ")
    assert _labels(chart, False) == list("TSRQPONMLK")


def test_teeth_fit_the_chart_and_never_overlap():
    for primary in (False, True):
        chart = chart_layout(primary=primary)
        for upper in (True, False):
            row = sorted((t for t in chart.teeth if t.upper is upper), key=lambda t: t.x)
            for left, right in zip(row, row[1:], strict=False):
                assert left.x + left.width < right.x
            assert row[0].x > 0
            assert row[-1].x + row[-1].width < chart.width
        assert all(t.y > 0 and t.y + t.height < chart.height for t in chart.teeth)
        # Mirror images: the midline splits each row in two equal halves.
        top = sorted((t for t in chart.teeth if t.upper), key=lambda t: t.x)
        assert top[0].x + top[-1].x + top[-1].width == chart.width


def test_work_marks_the_tooth_with_the_status_furthest_along():
    chart = mark_work(
        chart_layout(primary=False),
        [
            ToothWork("14", "D2740", P.DECLINED),
            ToothWork("14", "D2950", P.ACCEPTED),
            ToothWork("30", "D2391", P.PROPOSED),
        ],
    )
    teeth = {t.label: t for t in chart.teeth}
    assert teeth["14"].status == P.ACCEPTED
    assert teeth["14"].work == ("D2740", "D2950")
    assert teeth["14"].first_work == "D2740+1"
    assert teeth["14"].aria_label == "Tooth 14: D2740, D2950 (accepted)"
    assert teeth["30"].status == P.PROPOSED
    assert teeth["3"].status == ""
    assert teeth["3"].aria_label == "Tooth 3, no planned work"
