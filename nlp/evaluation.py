"""Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Report", "read_labelled", "score"]


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def read_labelled(path: Path | str) -> list[tuple[str, str]]:
    """``text,label`` rows of a CSV file (UTF-8, header line; a BOM is fine)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or not {"text", "label"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: expected a header line with the columns text,label")
        rows = []
        for line, row in enumerate(reader, start=2):
            text, label = (row.get("text") or "").strip(), (row.get("label") or "").strip()
            if not text or not label:
                raise ValueError(f"{path}: line {line}: empty text or label")
            rows.append((text, label))
    if not rows:
        raise ValueError(f"{path}: no labelled rows")
    return rows


@dataclass(frozen=True)
class Report:
    labels: list[str]
    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float]]  # label → precision, recall, f1, support
    confusion: dict[str, dict[str, int]]  # gold → predicted → count
    # Messages given none of the labels (其他 when only the file's labels compete).
    unassigned: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "messages": sum(int(c["support"]) for c in self.per_class.values()),
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "per_class": {
                k: {m: round(v, 4) if m != "support" else int(v) for m, v in c.items()}
                for k, c in self.per_class.items()
            },
            "confusion": self.confusion,
            "unassigned": self.unassigned,
            "unassigned_share": round(self.unassigned / self._messages, 4) if self._messages else 0,
        }

    @property
    def _messages(self) -> int:
        return sum(int(c["support"]) for c in self.per_class.values())

    def as_text(self) -> str:
        width = max(_width(label) for label in self.labels) + 2
        lines = [
            f"messages {sum(int(c['support']) for c in self.per_class.values())}  "
            f"accuracy {self.accuracy:.4f}  macro-F1 {self.macro_f1:.4f}",
            f"none of the labels (其他) {self.unassigned}"
            f" ({self.unassigned / (self._messages or 1):.1%})",
            "",
            f"{'':<{width}}precision  recall  f1      support",
        ]
        for label in self.labels:
            c = self.per_class[label]
            pad = width - _width(label)
            lines.append(
                f"{label}{'':<{pad}}{c['precision']:.4f}     {c['recall']:.4f}  "
                f"{c['f1']:.4f}  {int(c['support'])}"
            )
        lines += ["", "confusion (rows: label, columns: predicted, in the order above)"]
        for label in self.labels:
            row = "  ".join(f"{self.confusion[label].get(p, 0):>4}" for p in self.labels)
            lines.append(f"{label}{'':<{width - _width(label)}}{row}")
        return "\n".join(lines)


def score(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> Report:
    confusion = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, predicted, strict=True):
        confusion.setdefault(g, {})
        confusion[g][p] = confusion[g].get(p, 0) + 1
    per_class: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = confusion[label].get(label, 0)
        support = sum(confusion[label].values())
        predicted_n = sum(confusion[g].get(label, 0) for g in confusion)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    correct = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p)
    macro = sum(c["f1"] for c in per_class.values()) / len(labels) if labels else 0.0
    known = set(labels)
    unassigned = sum(1 for p in predicted if p not in known)
    return Report(
        list(labels),
        correct / len(gold) if gold else 0.0,
        macro,
        per_class,
        confusion,
        unassigned,
    )
