"""Where in the mouth a procedure is done: teeth, surfaces, quadrants and arches (pure)."""

import re

from django.db import models

PERMANENT_TEETH = tuple(str(n) for n in range(1, 33))
PRIMARY_TEETH = tuple("ABCDEFGHIJKLMNOPQRST")
SURFACE_LETTERS = "MODBLIF"
QUADRANTS = ("UR", "UL", "LR", "LL")
ARCHES = ("U", "L")


class Site(models.TextChoices):
    """What a procedure needs to say where it is done."""

    MOUTH = "mouth", "Whole mouth"
    TOOTH = "tooth", "A tooth"
    SURFACES = "surfaces", "A tooth and its surfaces"
    QUADRANT = "quadrant", "A quadrant"
    ARCH = "arch", "An arch"


# (first, last, site) by CDT code number; the first matching range wins, the rest is MOUTH.
_SITE_RANGES = (
    (1351, 1354, Site.TOOTH),  # sealants, caries arrest
    (2000, 2399, Site.SURFACES),  # fillings
    (2510, 2664, Site.SURFACES),  # inlays and onlays
    (2400, 2999, Site.TOOTH),  # crowns, posts, build-ups
    (3000, 3999, Site.TOOTH),  # root canals
    (4210, 4212, Site.QUADRANT),
    (4240, 4261, Site.QUADRANT),
    (4341, 4342, Site.QUADRANT),  # scaling and root planing
    (4263, 4286, Site.TOOTH),
    (5000, 5899, Site.ARCH),  # dentures and partials
    (6110, 6119, Site.ARCH),  # implant-supported dentures
    (6000, 6999, Site.TOOTH),  # implants, bridges
    (7111, 7251, Site.TOOTH),  # extractions
    (7310, 7321, Site.QUADRANT),  # alveoloplasty
)


def site_for_code(code: str) -> str:
    number = int(code[1:])
    for first, last, site in _SITE_RANGES:
        if first <= number <= last:
            return site
    return Site.MOUTH


def tooth_problem(tooth: str) -> str | None:
    if tooth in PERMANENT_TEETH or tooth in PRIMARY_TEETH:
        return None
    return f'"{tooth}" is not a tooth (1-32 or A-T)'


def surfaces_problem(surfaces: str) -> str | None:
    if not re.fullmatch(f"[{SURFACE_LETTERS}]{{1,5}}", surfaces):
        return (
            f'"{surfaces}" is not a set of surfaces (one to five of {", ".join(SURFACE_LETTERS)})'
        )
    if len(set(surfaces)) != len(surfaces):
        return f'"{surfaces}" repeats a surface'
    return None


def area_problem(area: str) -> str | None:
    if area in QUADRANTS or area in ARCHES:
        return None
    return f'"{area}" is not a quadrant or arch (UR, UL, LR, LL, U, L)'


def site_problems(site: str, *, tooth: str, surfaces: str, area: str) -> dict[str, str]:
    """What is wrong with where a procedure of this kind is placed, by field name."""
    problems: dict[str, str] = {}
    if tooth and (message := tooth_problem(tooth)):
        problems["tooth"] = message
    if surfaces and (message := surfaces_problem(surfaces)):
        problems["surfaces"] = message
    if area and (message := area_problem(area)):
        problems["area"] = message
    needs_tooth = site in (Site.TOOTH, Site.SURFACES)
    if needs_tooth and not tooth:
        problems.setdefault("tooth", "This procedure needs a tooth.")
    if not needs_tooth and tooth:
        problems.setdefault("tooth", "This procedure is not done on a single tooth.")
    if site == Site.SURFACES and not surfaces:
        problems.setdefault("surfaces", "A filling needs its surfaces (e.g. MO).")
    if site != Site.SURFACES and surfaces:
        problems.setdefault("surfaces", "This procedure has no surfaces.")
    if site == Site.QUADRANT and area not in QUADRANTS:
        problems.setdefault("area", "This procedure needs a quadrant (UR, UL, LR, LL).")
    if site == Site.ARCH and area not in ARCHES:
        problems.setdefault("area", "This procedure needs an arch (U or L).")
    if site in (Site.MOUTH, Site.TOOTH, Site.SURFACES) and area:
        problems.setdefault("area", "This procedure is not done on a quadrant or arch.")
    return problems
