"""What changed between two presentations: every kind of change, and none where there is none."""

from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from plans.presentation_diff import (
    PresentationDiff,
    ProcedureChange,
    ProcedureMention,
    Renaming,
    ShownOption,
    ShownProcedure,
    TotalChange,
    presentation_diff,
)

CROWN = ShownProcedure(
    key="p-crown",
    code="D2740",
    description="Crown",
    fee=Decimal("1250.00"),
    phase_number=1,
    tooth="14",
)
FILLING = ShownProcedure(
    key="p-filling",
    code="D2391",
    description="Filling",
    fee=Decimal("210.00"),
    phase_number=1,
    tooth="30",
    surfaces="MO",
)
SRP = ShownProcedure(
    key="p-srp",
    code="D4341",
    description="Deep cleaning",
    fee=Decimal("260.00"),
    phase_number=2,
    area="UR",
    phase_name="Gums first",
)
IMPLANT = ShownProcedure(
    key="p-implant",
    code="D6010",
    description="Implant",
    fee=Decimal("2100.00"),
    phase_number=1,
    tooth="19",
)


def option(key, name, *procedures, recommended=False) -> ShownOption:
    return ShownOption(
        key=key,
        name=name,
        recommended=recommended,
        total_fee=sum((p.fee for p in procedures), Decimal("0.00")),
        procedures=procedures,
    )


RESTORE = option("o-restore", "Restore", CROWN, FILLING, SRP, recommended=True)
IMPLANT_OPTION = option("o-implant", "Implant", IMPLANT)


def test_the_same_presentation_twice_has_no_changes():
    diff = presentation_diff([RESTORE, IMPLANT_OPTION], [RESTORE, IMPLANT_OPTION])
    assert diff == PresentationDiff()
    assert diff.is_empty


def test_a_procedure_added_to_an_option():
    later = option("o-restore", "Restore", CROWN, FILLING, SRP, IMPLANT, recommended=True)
    diff = presentation_diff([RESTORE], [later])
    assert diff.procedures_added == (ProcedureMention("Restore", IMPLANT),)
    assert diff.procedures_removed == ()
    assert diff.totals_changed == (TotalChange("Restore", Decimal("1720.00"), Decimal("3820.00")),)
    assert not diff.is_empty


def test_a_procedure_removed_from_an_option():
    later = option("o-restore", "Restore", CROWN, SRP, recommended=True)
    diff = presentation_diff([RESTORE], [later])
    assert diff.procedures_removed == (ProcedureMention("Restore", FILLING),)
    assert diff.procedures_added == ()


def test_a_fee_changed():
    dearer = replace(CROWN, fee=Decimal("1300.00"))
    later = option("o-restore", "Restore", dearer, FILLING, SRP, recommended=True)
    diff = presentation_diff([RESTORE], [later])
    assert diff.fees_changed == (
        ProcedureChange("Restore", dearer, Decimal("1250.00"), Decimal("1300.00")),
    )
    assert diff.sites_changed == ()
    assert diff.procedures_added == diff.procedures_removed == ()


def test_a_tooth_surfaces_or_area_changed():
    moved = replace(CROWN, tooth="15")
    resurfaced = replace(FILLING, surfaces="MOD")
    other_quadrant = replace(SRP, area="LL")
    later = option("o-restore", "Restore", moved, resurfaced, other_quadrant, recommended=True)
    diff = presentation_diff([RESTORE], [later])
    assert diff.sites_changed == (
        ProcedureChange("Restore", moved, "#14", "#15"),
        ProcedureChange("Restore", resurfaced, "#30 MO", "#30 MOD"),
        ProcedureChange("Restore", other_quadrant, "UR", "LL"),
    )
    assert diff.fees_changed == ()


def test_a_procedure_moved_to_another_phase():
    moved = replace(FILLING, phase_number=2, phase_name="Gums first")
    later = option("o-restore", "Restore", CROWN, moved, SRP, recommended=True)
    diff = presentation_diff([RESTORE], [later])
    assert diff.phases_changed == (ProcedureChange("Restore", moved, "Phase 1", "Gums first"),)


def test_options_added_removed_and_renamed():
    renamed = replace(IMPLANT_OPTION, name="Single implant")
    bridge = option("o-bridge", "Bridge", replace(IMPLANT, key="p-bridge", code="D6240"))
    diff = presentation_diff([RESTORE, IMPLANT_OPTION], [renamed, bridge])
    assert diff.options_renamed == (Renaming("Implant", "Single implant"),)
    assert diff.options_added == (bridge,)
    assert diff.options_removed == (RESTORE,)
    # The procedures of added and removed options are not listed again one by one.
    assert diff.procedures_added == diff.procedures_removed == ()
    assert diff.recommended_changed == ("Restore", None)


def test_the_recommended_option_changed():
    earlier = [RESTORE, IMPLANT_OPTION]
    later = [replace(RESTORE, recommended=False), replace(IMPLANT_OPTION, recommended=True)]
    diff = presentation_diff(earlier, later)
    assert diff.recommended_changed == ("Restore", "Implant")
    assert presentation_diff(later, earlier).recommended_changed == ("Implant", "Restore")


def test_a_renamed_recommended_option_is_a_renaming_not_a_new_recommendation():
    later = [replace(RESTORE, name="Restore teeth"), IMPLANT_OPTION]
    diff = presentation_diff([RESTORE, IMPLANT_OPTION], later)
    assert diff.recommended_changed is None
    assert diff.options_renamed == (Renaming("Restore", "Restore teeth"),)


def test_a_recommendation_first_made_later():
    unrecommended = replace(RESTORE, recommended=False)
    diff = presentation_diff([unrecommended], [RESTORE])
    assert diff.recommended_changed == (None, "Restore")


def test_procedures_are_matched_by_their_key_not_their_position():
    later = option("o-restore", "Restore", SRP, FILLING, CROWN, recommended=True)
    assert presentation_diff([RESTORE], [later]).is_empty


def test_the_same_code_twice_is_two_procedures():
    second_crown = replace(CROWN, key="p-crown-2", tooth="3")
    later = option("o-restore", "Restore", CROWN, second_crown, FILLING, SRP, recommended=True)
    diff = presentation_diff([RESTORE], [later])
    assert diff.procedures_added == (ProcedureMention("Restore", second_crown),)
    assert diff.sites_changed == ()


def test_labels_say_where_in_the_mouth():
    assert CROWN.label == "D2740 #14"
    assert FILLING.label == "D2391 #30 MO"
    assert SRP.label == "D4341 UR"
    assert replace(SRP, area="").label == "D4341"


# --- Properties ---------------------------------------------------------------------------------

fees = st.decimals(min_value=0, max_value=5000, places=2)
procedures = st.builds(
    ShownProcedure,
    key=st.sampled_from([f"p{n}" for n in range(6)]),
    code=st.sampled_from(["D2740", "D2391", "D4341"]),
    description=st.just("x"),
    fee=fees,
    phase_number=st.integers(1, 3),
    tooth=st.sampled_from(["", "3", "14", "A"]),
    surfaces=st.sampled_from(["", "MO", "O"]),
    area=st.sampled_from(["", "UR", "L"]),
)


@st.composite
def presentations(draw):
    """Options with distinct keys, each procedure in one option only (as on a real plan)."""
    keys = draw(st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=3))
    rows = draw(st.lists(procedures, unique_by=lambda p: p.key, max_size=6))
    options = []
    for index, key in enumerate(keys):
        mine = tuple(p for n, p in enumerate(rows) if n % len(keys) == index)
        options.append(
            option(f"o-{key}", draw(st.sampled_from(["One", "Two"])), *mine, recommended=index == 0)
        )
    return options


@given(presentations())
def test_a_presentation_compared_with_itself_has_no_changes(shown):
    assert presentation_diff(shown, shown).is_empty


@given(presentations(), presentations())
def test_comparing_backwards_swaps_added_and_removed(earlier, later):
    forward = presentation_diff(earlier, later)
    backward = presentation_diff(later, earlier)
    assert {o.key for o in forward.options_added} == {o.key for o in backward.options_removed}
    assert {(m.procedure.key) for m in forward.procedures_added} == {
        m.procedure.key for m in backward.procedures_removed
    }
    assert {c.procedure.key for c in forward.fees_changed} == {
        c.procedure.key for c in backward.fees_changed
    }
    if forward.recommended_changed:
        old, new = forward.recommended_changed
        assert backward.recommended_changed == (new, old)
    else:
        assert backward.recommended_changed is None
