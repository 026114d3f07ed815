"""Place names of the county, found in free text, robust to dropped suffixes (遇龙 / 遇龙村)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["Gazetteer", "PlaceMatch", "place_variants"]

# Administrative and common place suffixes residents drop or add: 遇龙村 → 遇龙, 浪洲 → 浪洲村.
_SUFFIXES = (
    "社区",
    "街道",
    "村委会",
    "村委",
    "片区",
    "景区",
    "村",
    "屯",
    "镇",
    "乡",
    "街",
    "组",
    "寨",
)


def place_variants(name: str) -> dict[str, int]:
    """``name`` and the shorter forms people use, each with its distance from the name:
    0 the name, 1 without its suffix (遇龙村 → 遇龙), 2 also without a locative 里/头
    (浪洲里村 → 浪洲). Stems keep at least two characters."""
    variants = {name: 0}
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            variants[name[: -len(suffix)]] = 1
            break
    for stem, distance in list(variants.items()):
        if len(stem) >= 3 and stem[-1] in "里头":
            variants.setdefault(stem[:-1], distance + 1)
    return variants


@dataclass(frozen=True)
class PlaceMatch:
    place: str  # the county's name for it
    said: str  # what the text said
    grid_code: str


class Gazetteer:
    """Maps place names (and their suffix-less variants) to grid codes."""

    def __init__(self, places: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        items = places.items() if isinstance(places, Mapping) else places
        self._index: dict[str, tuple[str, str]] = {}
        best: dict[str, tuple[int, str]] = {}
        for place, grid_code in items:
            for variant, distance in place_variants(place).items():
                # The closest place wins a shared form (浪洲 is 浪洲村's before 浪洲里村's),
                # whatever order the county file lists them in; ties go by name.
                rank = (distance, place)
                if variant not in best or rank < best[variant]:
                    best[variant] = rank
                    self._index[variant] = (place, grid_code)
        self._by_length = sorted(self._index, key=len, reverse=True)

    @property
    def words(self) -> list[str]:
        """Every name and variant, for the tokenizer's user dictionary."""
        return list(self._by_length)

    def __bool__(self) -> bool:
        return bool(self._index)

    def find(self, text: str, tokens: Iterable[str] = ()) -> list[PlaceMatch]:
        """Places named in ``text``, longest first, each grid once.

        Tokens from jieba (which knows these names) are tried first; a substring scan then
        catches names that jieba glued to a neighbour (东岭村口).
        """
        seen_grids: set[str] = set()
        found: list[PlaceMatch] = []

        def add(said: str) -> None:
            place, grid_code = self._index[said]
            if grid_code not in seen_grids:
                seen_grids.add(grid_code)
                found.append(PlaceMatch(place, said, grid_code))

        for token in tokens:
            if token in self._index:
                add(token)
        covered = "".join(m.said for m in found)
        for name in self._by_length:
            if name in text and name not in covered:
                add(name)
                covered += name
        return found
