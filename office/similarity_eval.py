"""``grid-intake suggestions similarity``: precision and recall of the me-too merge on
labelled pairs (CSV ``a,b,similar[,kind,…]``, similar 1 or 0), at the shipped threshold and
around it, per kind of pair, and a two-fold check (threshold chosen on one half, scored on
the other) so the chosen figure is not only a fit to the data it was chosen on."""

from __future__ import annotations

import csv
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlp.places import Gazetteer
from nlp.similarity import OFFER, SIMILAR, Places, signature, similarity

__all__ = ["Pair", "county_places", "evaluate", "read_pairs", "render"]


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    similar: bool
    kind: str


def read_pairs(path: Path | str) -> list[Pair]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"a", "b", "similar"} <= set(rows[0]):
        raise ValueError(f"{path}: needs the columns a, b, similar")
    pairs = []
    for number, row in enumerate(rows, start=2):
        if row["similar"].strip() not in ("0", "1"):
            raise ValueError(f"{path}, line {number}: similar must be 0 or 1")
        pairs.append(Pair(row["a"], row["b"], row["similar"].strip() == "1", row.get("kind", "")))
    return pairs


def county_places(path: Path | str) -> Places:
    """The place names of a county file: its grids (names and listed places), townships."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    grids = data.get("grids") or []
    township_of_station = {s["code"]: s["township"] for s in data.get("stations") or []}
    return Places(
        grids=Gazetteer(
            (place, grid["code"])
            for grid in grids
            for place in [grid["name"], *grid.get("places", [])]
        ),
        townships=Gazetteer((t["name"], t["code"]) for t in data.get("townships") or []),
        township_of={g["code"]: township_of_station.get(g["station"], "") for g in grids},
    )


def _counts(scored: Sequence[tuple[float, bool]], threshold: float) -> dict[str, float]:
    tp = sum(1 for s, y in scored if s >= threshold and y)
    fp = sum(1 for s, y in scored if s >= threshold and not y)
    fn = sum(1 for s, y in scored if s < threshold and y)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": threshold, "precision": precision, "recall": recall, "f1": f1}


def _best(scored: Sequence[tuple[float, bool]]) -> float:
    """The threshold with the best F1 (ties: the higher one)."""
    fits = [_counts(scored, t / 100) for t in range(5, 80)]
    return max(fits, key=lambda f: (round(f["f1"], 6), f["threshold"]))["threshold"]


def evaluate(
    pairs: Sequence[Pair], places: Places | None, threshold: float = SIMILAR
) -> dict[str, Any]:
    """Figures at ``threshold`` (default: the merge threshold) and at the offer threshold."""
    if places is not None:  # time it from cold: each distinct text's signature made once
        places = dataclasses.replace(places, cache={})
    started = time.perf_counter()
    scores = [similarity(signature(p.a, places), signature(p.b, places)) for p in pairs]
    elapsed = time.perf_counter() - started
    scored = [(s, p.similar) for s, p in zip(scores, pairs, strict=True)]
    kinds: dict[str, dict[str, Any]] = {}
    for (score, label), pair in zip(scored, pairs, strict=True):
        entry = kinds.setdefault(pair.kind or "-", {"pairs": 0, "similar": label, "right": 0})
        entry["pairs"] += 1
        entry["right"] += int((score >= threshold) == label)
    halves = (scored[0::2], scored[1::2])
    folds = []
    for tune, check in (halves, halves[::-1]):
        chosen = _best(tune)
        folds.append(_counts(check, chosen))
    return {
        "pairs": len(pairs),
        "similar": sum(1 for p in pairs if p.similar),
        "at_threshold": _counts(scored, threshold),
        "at_offer": _counts(scored, OFFER),
        "sweep": [_counts(scored, t) for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.5)],
        "best_f1": _counts(scored, _best(scored)),
        "two_fold": folds,
        "kinds": kinds,
        "ms_per_pair": elapsed * 1000 / max(len(pairs), 1),
    }


def render(result: dict[str, Any]) -> str:
    def row(f: dict[str, float]) -> str:
        return f"{f['threshold']:.2f}\t{f['precision']:.3f}\t{f['recall']:.3f}\t{f['f1']:.3f}"

    lines = [
        f"{result['pairs']} pairs, {result['similar']} similar; "
        f"{result['ms_per_pair']:.3f} ms per pair (signatures, each distinct text once, "
        "and the cosine)",
        "",
        "threshold\tprecision\trecall\tF1",
        row(result["at_threshold"]) + "\t← merge (nlp.similarity.SIMILAR, unless --threshold)",
        row(result["at_offer"]) + "\t← offer 我也遇到 (nlp.similarity.OFFER)",
        "",
        "sweep:",
        *(row(f) for f in result["sweep"]),
        "best F1: " + row(result["best_f1"]),
        "two-fold (best F1 chosen on one half, scored on the other): "
        + "; ".join(row(f) for f in result["two_fold"]),
        "",
        "per kind at the merge threshold (right / pairs):",
    ]
    for kind, entry in sorted(result["kinds"].items()):
        label = "similar" if entry["similar"] else "different"
        lines.append(f"  {kind} ({label}): {entry['right']}/{entry['pairs']}")
    return "\n".join(lines)
