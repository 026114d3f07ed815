"""Keyword classification on jieba tokens, with a confidence and the words that decided it.

The model is a readable YAML file (``nlp/data/keywords.yaml``, or one written by
``grid-intake nlp learn``) of per-category keyword weights that office staff can edit; see
that file's header. A keyword with a space (``"路灯 不亮"``) means two words in a row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from nlp.backoff import Backoff
from nlp.borders import BorderRule, Locatives, parse_borders, parse_locatives
from nlp.charindex import CharIndex
from nlp.features import FEATURE_KINDS, features, head_length
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
    "ModelError",
]

DEFAULT_MODEL = Path(__file__).parent / "data" / "keywords.yaml"
FALLBACK_CATEGORY = "其他"
DEFAULT_CATEGORIES = (
    "城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生",
    "农业农村", "矛盾纠纷", "其他",
)  # fmt: skip
DEFAULT_EVIDENCE = 3.0
# The words shown as the reason for a category (and stored with the case): the strongest.
MAX_KEYWORDS = 10


class ModelError(ValueError):
    """A keyword file that cannot be used; names the file and what is wrong."""


def _backoff_words(raw: Any, where: str) -> dict[str, float]:
    """``backoff:`` as a list (one point each) or as word → points."""
    if raw is None:
        return {}
    if isinstance(raw, list):
        raw = dict.fromkeys(raw, 1.0)
    if not isinstance(raw, dict):
        raise ModelError(f"{where}: 'backoff' must be a list of words or map word → points")
    try:
        words = {str(w).strip(): float(v) for w, v in raw.items()}
    except (TypeError, ValueError):
        raise ModelError(f"{where}: every backoff point must be a number") from None
    return {w: v for w, v in words.items() if w and v > 0}


@dataclass(frozen=True)
class KeywordModel:
    weights: dict[str, dict[str, float]]  # category → keyword → weight
    descriptions: dict[str, str] = field(default_factory=dict)
    bias: dict[str, float] = field(default_factory=dict)
    # Hand-written files: a best score under this many points is thin evidence, and the
    # confidence says so. Learned files set 0: their scores are margins, not points.
    evidence: float = DEFAULT_EVIDENCE
    learned: dict[str, Any] = field(default_factory=dict)
    # "words": keys are jieba words; "chars": keys are strings found anywhere in the text.
    features: str = "words"
    borders: tuple[BorderRule, ...] = ()
    locatives: Locatives = field(default_factory=Locatives)
    backoff: dict[str, dict[str, float]] = field(default_factory=dict)  # category → word → points

    @classmethod
    def load(cls, path: Path | str = DEFAULT_MODEL) -> KeywordModel:
        try:
            with open(path, encoding="utf-8") as f:
                raw = yaml.safe_load(f) or {}
        except OSError as error:
            raise ModelError(f"{path}: {error.strerror}") from None
        except yaml.YAMLError as error:
            raise ModelError(f"{path}: not valid YAML ({error})") from None
        except UnicodeDecodeError:
            raise ModelError(f"{path}: not UTF-8 text") from None
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: Any, where: str = "model") -> KeywordModel:
        categories = raw.get("categories") if isinstance(raw, dict) else None
        if not isinstance(categories, dict) or not categories:
            raise ModelError(f"{where}: expected a 'categories:' mapping")
        weights: dict[str, dict[str, float]] = {}
        descriptions: dict[str, str] = {}
        bias: dict[str, float] = {}
        backoff: dict[str, dict[str, float]] = {}
        for name, body in categories.items():
            body = body or {}
            if not isinstance(body, dict):
                raise ModelError(f"{where}: category {name}: expected keywords: word → weight")
            keywords = body.get("keywords") or {}
            if not isinstance(keywords, dict):
                raise ModelError(f"{where}: category {name}: 'keywords' must map word → weight")
            try:
                weights[str(name)] = {str(w): float(v) for w, v in keywords.items()}
                bias[str(name)] = float(body.get("bias", 0.0))
            except (TypeError, ValueError):
                raise ModelError(
                    f"{where}: category {name}: every weight must be a number"
                ) from None
            descriptions[str(name)] = str(body.get("description", ""))
            backoff[str(name)] = _backoff_words(body.get("backoff"), f"{where}: category {name}")
        confidence = raw.get("confidence") or {}
        evidence = float(confidence.get("evidence", DEFAULT_EVIDENCE))
        kind = str(raw.get("features", "words"))
        if kind not in FEATURE_KINDS:
            raise ModelError(f"{where}: 'features' must be one of {', '.join(FEATURE_KINDS)}")
        if kind == "chars" and any(" " in w for table in weights.values() for w in table):
            raise ModelError(f"{where}: a key with a space needs 'features: words'")
        try:
            borders = parse_borders(raw.get("borders"), weights)
            locatives = parse_locatives(raw.get("locatives"))
        except ValueError as error:
            raise ModelError(f"{where}: {error}") from None
        return cls(
            weights,
            descriptions,
            bias,
            evidence,
            dict(raw.get("learned") or {}),
            kind,
            borders,
            locatives,
            {name: nouns for name, nouns in backoff.items() if nouns},
        )

    @property
    def categories(self) -> list[str]:
        names = list(self.weights)
        if FALLBACK_CATEGORY not in names:
            names.append(FALLBACK_CATEGORY)
        return names

    @property
    def has_bigrams(self) -> bool:
        return any(" " in word for table in self.weights.values() for word in table)

    def vocabulary(self) -> set[str]:
        """Single words to teach the tokenizer (both halves of a bigram too)."""
        return {part for table in self.weights.values() for word in table for part in word.split()}


@dataclass(frozen=True)
class Classification:
    category: str
    confidence: float  # 0…1
    keywords: list[str]  # the words that counted for the category, strongest first
    urgent: bool
    urgent_words: list[str]
    places: list[PlaceMatch]
    ranking: list[tuple[str, float]]  # candidate categories, best first
    margin: float = 0.0  # best score minus the runner-up's

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
        self._chars = model.features == "chars"
        # A learned file was fitted on plain jieba tokens: teaching the tokenizer extra words
        # would change its segmentation and so its scores. Place names are still found by
        # the gazetteer's own scan of the text. A character file needs no tokenizer at all.
        taught = () if model.learned else (*model.vocabulary(), *self.gazetteer.words)
        self._tokenizer = None if self._chars else make_tokenizer(taught)
        self._bigrams = model.has_bigrams
        # One row of weights (a column per category) per word: a message's scores are one
        # sum over the rows of its words, whatever the number of categories.
        self._categories = list(model.weights)
        self._column = {name: number for number, name in enumerate(self._categories)}
        words = sorted({w for table in model.weights.values() for w, v in table.items() if v})
        self._rows = {word: row for row, word in enumerate(words)}
        self._words = words
        self._matrix = np.zeros((len(words), len(self._categories)))
        for column, table in enumerate(model.weights.values()):
            for word, weight in table.items():
                if weight:
                    self._matrix[self._rows[word], column] = weight
        self._bias = np.array([model.bias.get(c, 0.0) for c in self._categories])
        # Chinese keys are looked up as runs of their length; Latin words are found whole.
        self._char_index = CharIndex(self._rows) if self._chars else None
        self._learned = model.evidence == 0
        self._backoff: Backoff | None = None  # built when a message first needs it

    def _fallback(self) -> Backoff:
        if self._backoff is None:
            self._backoff = Backoff(self.model.weights, self.model.backoff)
        return self._backoff

    def tokens(self, text: str) -> list[str]:
        return self._tokenizer.lcut(text) if self._tokenizer is not None else []

    def _found(self, text: str, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the words the message contains and their boosts (1.5 in the first
        sentence, less for a word naming a place)."""
        head = head_length(text)
        if self._char_index is not None:
            return self._char_index.find(text, head)
        locatives = self.model.locatives
        found = features(
            tokens,
            head,
            bigrams=self._bigrams,
            locatives=locatives.words,
            locative_factor=locatives.factor,
        )
        rows = self._rows
        present = [(rows[f], boost) for f, boost in found.items() if f in rows]
        return (
            np.array([r for r, _ in present], dtype=np.intp),
            np.array([b for _, b in present], dtype=float),
        )

    def _apply_borders(self, text: str, present: np.ndarray, contributions: np.ndarray) -> None:
        """Border rules move a word's weight to the category of the sector in question."""
        moved: set[int] = set()
        for rule in self.model.borders:
            if not rule.applies(text):
                continue
            to = self._column[rule.to]
            for i, row in enumerate(present):
                if i in moved or self._words[row] not in rule.words:
                    continue
                strongest = contributions[i].max()
                if strongest > 0:
                    contributions[i] = 0.0
                    contributions[i, to] = strongest
                moved.add(i)

    def classify(self, text: str, *, among: Iterable[str] | None = None) -> Classification:
        tokens = self.tokens(text)
        present, boosts = self._found(text, tokens)
        learned = self._learned
        if present.size:
            contributions = self._matrix[present] * boosts[:, None]
            if self.model.borders:
                self._apply_borders(text, present, contributions)
            totals = (self._bias + contributions.sum(axis=0)).tolist()
            in_head = contributions[boosts > 1].sum(axis=0).tolist()
        else:
            contributions = np.zeros((0, len(self._categories)))
            totals, in_head = self._bias.tolist(), [0.0] * len(self._categories)
        allowed = set(among) if among is not None else None
        scored = [
            (-total, -in_head[number], category)
            for number, (category, total) in enumerate(zip(self._categories, totals, strict=True))
            if (allowed is None or category in allowed) and (learned or total > 0)
        ]
        # A tie goes to the category the first sentence speaks for, not to the first name.
        scored.sort()
        ranking = [(category, -negative) for negative, _head, category in scored]
        urgency = detect_urgency(text)
        places = self.gazetteer.find(text, tokens)
        if not ranking or (not learned and ranking[0][1] <= 0):
            guess = (
                None if learned else self._fallback().guess(text, allowed, never=FALLBACK_CATEGORY)
            )
            if guess is None:
                return Classification(
                    FALLBACK_CATEGORY, 0.0, [], urgency.urgent, list(urgency.words), places, []
                )
            return Classification(
                guess.category,
                guess.confidence,
                guess.words[:MAX_KEYWORDS],
                urgency.urgent,
                list(urgency.words),
                places,
                guess.ranking,
                guess.ranking[0][1] - (guess.ranking[1][1] if len(guess.ranking) > 1 else 0.0),
            )
        best, best_score = ranking[0]
        runner_up = ranking[1][1] if len(ranking) > 1 else 0.0
        margin = best_score - runner_up
        if learned:
            confidence = margin / (abs(best_score) + abs(runner_up) or 1.0)
        else:  # share of the evidence, damped while the evidence itself is thin
            confidence = best_score / (best_score + max(runner_up, 0.0))
            confidence *= min(1.0, best_score / self.model.evidence)
        column = contributions[:, self._column[best]]
        strongest = np.flatnonzero(column > 0)
        if strongest.size > MAX_KEYWORDS:  # the largest few, then in order
            strongest = strongest[np.argpartition(-column[strongest], MAX_KEYWORDS)[:MAX_KEYWORDS]]
        words = self._words
        hits = sorted(((float(column[i]), words[present[i]]) for i in strongest), reverse=True)
        keywords = [word for _weight, word in hits]
        return Classification(
            best,
            min(1.0, max(0.0, confidence)),
            keywords,
            urgency.urgent,
            list(urgency.words),
            places,
            ranking,
            margin,
        )
