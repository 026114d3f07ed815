"""Keyword classification on jieba tokens, with a confidence and the words that decided it.

The model is a readable YAML file (``nlp/data/keywords.yaml``) of per-category keyword
weights that office staff can edit; see that file's header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nlp.places import Gazetteer, PlaceMatch
from nlp.tokenizer import make_tokenizer
from nlp.urgency import detect_urgency

__all__ = [
    "DEFAULT_CATEGORIES",
    "DEFAULT_MODEL",
    "FALLBACK_CATEGORY",
    "Classification",
    "Classifier",
    "KeywordModel",
]

DEFAULT_MODEL = Path(__file__).parent / "data" / "keywords.yaml"
FALLBACK_CATEGORY = "其他"
DEFAULT_CATEGORIES = (
    "城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生",
    "农业农村", "矛盾纠纷", "其他",
)  # fmt: skip

# The first sentence usually names the problem (留言板 titles, "东岭村的路灯坏了，…").
_FIRST_SENTENCE_BOOST = 1.5
_FIRST_SENTENCE = re.compile(r"^[^。！？!?\n；;]{1,40}")


@dataclass(frozen=True)
class KeywordModel:
    weights: dict[str, dict[str, float]]  # category → keyword → weight
    descriptions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | str = DEFAULT_MODEL) -> KeywordModel:
        with open(path, encoding="utf-8") as f:
            raw: dict[str, Any] = yaml.safe_load(f) or {}
        categories = raw.get("categories")
        if not isinstance(categories, dict) or not categories:
            raise ValueError(f"{path}: expected a 'categories:' mapping")
        weights: dict[str, dict[str, float]] = {}
        descriptions: dict[str, str] = {}
        for name, body in categories.items():
            body = body or {}
            keywords = body.get("keywords") or {}
            if not isinstance(keywords, dict):
                raise ValueError(f"{path}: category {name}: 'keywords' must map word → weight")
            weights[str(name)] = {str(w): float(v) for w, v in keywords.items()}
            descriptions[str(name)] = str(body.get("description", ""))
        return cls(weights, descriptions)

    @property
    def categories(self) -> list[str]:
        names = list(self.weights)
        if FALLBACK_CATEGORY not in names:
            names.append(FALLBACK_CATEGORY)
        return names

    def vocabulary(self) -> set[str]:
        return {word for table in self.weights.values() for word in table}


@dataclass(frozen=True)
class Classification:
    category: str
    confidence: float
    keywords: list[str]
    urgent: bool
    urgent_words: list[str]
    places: list[PlaceMatch]
    ranking: list[tuple[str, float]]  # categories with a positive score, best first

    def top(self, n: int = 3) -> list[str]:
        return [name for name, _ in self.ranking[:n]]

    def as_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "confidence": round(self.confidence, 3),
            "keywords": self.keywords,
            "urgent": self.urgent,
            "places": [p.place for p in self.places],
        }


class Classifier:
    def __init__(self, model: KeywordModel, gazetteer: Gazetteer | None = None) -> None:
        self.model = model
        self.gazetteer = gazetteer or Gazetteer()
        self._tokenizer = make_tokenizer([*model.vocabulary(), *self.gazetteer.words])

    def tokens(self, text: str) -> list[str]:
        return [t for t in self._tokenizer.lcut(text) if t.strip()]

    def classify(self, text: str, *, among: Iterable[str] | None = None) -> Classification:
        tokens = self.tokens(text)
        head = _FIRST_SENTENCE.match(text)
        head_tokens = set(self.tokens(head.group(0))) if head else set()
        allowed = set(among) if among is not None else None
        scores: dict[str, float] = {}
        matched: dict[str, list[str]] = {}
        for category, table in self.model.weights.items():
            if allowed is not None and category not in allowed:
                continue
            score = 0.0
            for token in dict.fromkeys(tokens):  # each word counts once
                weight = table.get(token)
                if weight:
                    score += weight * (_FIRST_SENTENCE_BOOST if token in head_tokens else 1.0)
                    matched.setdefault(category, []).append(token)
            if score > 0:
                scores[category] = score
        ranking = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        urgency = detect_urgency(text)
        places = self.gazetteer.find(text, tokens)
        if not ranking:
            return Classification(
                FALLBACK_CATEGORY, 0.0, [], urgency.urgent, list(urgency.words), places, []
            )
        best, best_score = ranking[0]
        runner_up = ranking[1][1] if len(ranking) > 1 else 0.0
        # Share of the evidence, damped while the evidence itself is thin (one weak word).
        confidence = (best_score / (best_score + runner_up)) * min(1.0, best_score / 3.0)
        return Classification(
            best,
            confidence,
            matched[best],
            urgency.urgent,
            list(urgency.words),
            places,
            ranking,
        )
