"""Totals of an option by phase: they always add up, to the cent (property-based)."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator.money import to_cents
from plans.totals import FeeLine, option_totals

fees = st.decimals(min_value=Decimal("0"), max_value=Decimal("99999.99"), places=2, allow_nan=False)
# A busy test machine (xdist, browsers) must not turn slow input generation into a failure.
calm = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
lines = st.lists(st.builds(FeeLine, st.integers(min_value=1, max_value=6), fees), max_size=60)


@calm
@given(lines)
def test_phases_add_up_to_the_option_total(items):
    totals = option_totals(items)
    assert sum(totals.by_phase.values(), Decimal("0.00")) == totals.total
    assert totals.total == sum((item.fee for item in items), Decimal("0.00"))
    assert set(totals.by_phase) == {item.phase_number for item in items}
    assert list(totals.by_phase) == sorted(totals.by_phase)
    for phase, total in totals.by_phase.items():
        assert total == sum((i.fee for i in items if i.phase_number == phase), Decimal("0.00"))
        assert total == to_cents(total)


@calm
@given(lines, st.randoms())
def test_order_does_not_change_the_totals(items, random):
    shuffled = list(items)
    random.shuffle(shuffled)
    assert option_totals(shuffled) == option_totals(items)


@calm
@given(st.lists(st.builds(FeeLine, st.just(1), st.decimals("0", "999.999", places=3)), max_size=20))
def test_fees_are_rounded_to_cents_before_they_are_added(items):
    totals = option_totals(items)
    assert totals.total == sum((to_cents(item.fee) for item in items), Decimal("0.00"))
    assert totals.total == to_cents(totals.total)


def test_an_empty_option_totals_zero():
    totals = option_totals([])
    assert totals.total == Decimal("0.00")
    assert totals.by_phase == {}
