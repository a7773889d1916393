"""Where a line or a past service was done, and the tooth geometry the rules need (pure)."""

from dataclasses import dataclass

PERMANENT = tuple(str(n) for n in range(1, 33))
PRIMARY = tuple("ABCDEFGHIJKLMNOPQRST")
SURFACE_LETTERS = frozenset("MODBLIF")
ARCHES = ("U", "L")
QUADRANTS = ("UR", "UL", "LL", "LR")

# A primary tooth sits where its permanent successor will: A-J = 4-13, K-T = 20-29.
_PRIMARY_POSITION = {letter: 4 + i for i, letter in enumerate("ABCDEFGHIJ")} | {
    letter: 20 + i for i, letter in enumerate("KLMNOPQRST")
}
_PRIMARY_MOLARS = frozenset("ABIJKLST")
SECOND_MOLARS = frozenset({"2", "15", "18", "31"})
MOLARS = frozenset(str(n) for n in (1, 2, 3, 14, 15, 16, 17, 18, 19, 30, 31, 32)) | _PRIMARY_MOLARS
POSTERIOR = (
    frozenset(str(n) for n in [*range(1, 6), *range(12, 22), *range(28, 33)]) | _PRIMARY_MOLARS
)


def tooth_position(tooth: str) -> int:
    return _PRIMARY_POSITION.get(tooth) or int(tooth)


def tooth_arch(tooth: str) -> str:
    return "U" if tooth_position(tooth) <= 16 else "L"


def parse_tooth_range(text: str) -> tuple[str, ...] | None:
    """'1-3,5' -> ('1', '2', '3', '5'); None when malformed. Runs are of permanent teeth."""
    teeth: list[str] = []
    for item in text.split(","):
        if "-" in item:
            first, _, last = item.partition("-")
            if first not in PERMANENT or last not in PERMANENT or int(first) > int(last):
                return None
            teeth.extend(str(n) for n in range(int(first), int(last) + 1))
        elif item in PERMANENT or item in PRIMARY:
            teeth.append(item)
        else:
            return None
    return tuple(teeth)


@dataclass(frozen=True)
class Site:
    tooth: str | None = None
    surfaces: frozenset[str] = frozenset()
    tooth_range: tuple[str, ...] = ()
    arch: str | None = None
    quadrant: str | None = None

    @property
    def is_unplaced(self) -> bool:
        return not (self.tooth or self.tooth_range or self.arch or self.quadrant or self.surfaces)

    @property
    def teeth(self) -> frozenset[str]:
        return frozenset((self.tooth,)) if self.tooth else frozenset(self.tooth_range)

    @property
    def arch_of(self) -> str | None:
        if self.arch:
            return self.arch
        if self.quadrant:
            return self.quadrant[0]
        if self.tooth_range:
            return tooth_arch(self.tooth_range[0])
        if self.tooth:
            return tooth_arch(self.tooth)
        return None

    @property
    def is_arch_or_quadrant(self) -> bool:
        return bool(self.arch or self.quadrant)


def same_area(line: Site, other: Site, area: str | None) -> bool:
    """Whether a past service is in the same place as a line, for a frequency limit's area."""
    if line.is_unplaced and other.is_unplaced:
        return True
    if area == "mouth":
        return True
    if area in ("tooth", "tooth_range"):
        return bool(line.teeth & other.teeth)
    if area == "arch":
        return line.arch_of is not None and line.arch_of == other.arch_of
    return _same_site(line, other)


def _same_site(a: Site, b: Site) -> bool:
    if a.is_arch_or_quadrant and b.is_arch_or_quadrant:
        return True
    if a.tooth and b.tooth:
        return a.tooth == b.tooth and a.surfaces == b.surfaces
    if a.tooth_range and b.tooth_range:
        return bool(a.teeth & b.teeth)
    if a.tooth and b.tooth_range:
        return a.tooth in b.tooth_range
    if b.tooth and a.tooth_range:
        return b.tooth in a.tooth_range
    return False
