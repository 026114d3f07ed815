"""``grid-intake nlp learn``: keyword weights learned from a county's labelled history.

A linear SVM (scikit-learn, the optional ``learn`` extra) on the same features the
classifier counts — by default each distinct character and pair of characters
(``features="chars"``: no tokenizer when classifying), or jieba words and word pairs
(``features="words"``) — 1.5 in the first sentence, with IDF weighting and unit-length
rows, fitted without an intercept. The IDF is folded into
the exported weights, and without an intercept the row length cannot change which
category wins, so plain summing of the written weights picks exactly the category the
SVM picks. Classifying with the file needs no ML library.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlp.classifier import KeywordModel
from nlp.features import char_features, features, head_length
from nlp.tokenizer import make_tokenizer

__all__ = ["Fitted", "LearnError", "dump_model", "fit", "learn", "learned_features"]


class LearnError(RuntimeError):
    pass


def learned_features(
    texts: Sequence[str], *, bigrams: bool, kind: str = "words"
) -> list[dict[str, float]]:
    """Features as a learned model's classifier sees them: characters and pairs, or jieba
    words with no added words."""
    if kind == "chars":
        return [char_features(t) for t in texts]
    tokenizer = make_tokenizer(())
    return [features(tokenizer.lcut(t), head_length(t), bigrams=bigrams) for t in texts]


@dataclass(frozen=True)
class Fitted:
    model: KeywordModel
    svm_predict: Callable[[Sequence[str]], list[str]]  # the SVM itself, for comparison


def learn(rows: Sequence[tuple[str, str]], **options: Any) -> KeywordModel:
    """The keyword file of :func:`fit` (same options)."""
    return fit(rows, **options).model


def fit(
    rows: Sequence[tuple[str, str]],
    *,
    features: str = "chars",
    bigrams: bool = False,
    c: float = 1.0,
    min_count: int = 1,
    prune: float = 0.02,
    source: str = "",
) -> Fitted:
    """Fit on ``(text, label)`` rows. Words seen in fewer than ``min_count`` messages are
    left out, and ``prune`` drops weights under that share of the category's largest one:
    both keep the file small enough to read without changing many decisions."""
    try:
        import numpy as np
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.preprocessing import normalize
        from sklearn.svm import LinearSVC
    except ImportError:
        raise LearnError("nlp learn needs scikit-learn: pip install 'grid-intake[learn]'") from None
    if features not in ("words", "chars"):
        raise LearnError(f"unknown features: {features} (words or chars)")
    if features == "chars" and bigrams:
        raise LearnError("word pairs (--bigrams) need --features words")
    labels = sorted({label for _, label in rows})
    if len(labels) < 2:
        raise LearnError("nlp learn needs at least two different labels")
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform(
        learned_features([t for t, _ in rows], bigrams=bigrams, kind=features)
    )
    documents = x.shape[0]
    df = np.asarray((x > 0).sum(axis=0)).ravel()
    kept = np.flatnonzero(df >= min_count)
    if kept.size == 0:
        raise LearnError("no word occurs in enough messages to learn from")
    x, df = x[:, kept], df[kept]
    names = vectorizer.get_feature_names_out()[kept]
    idf = np.log((1 + documents) / (1 + df)) + 1.0
    x = normalize(x.multiply(idf).tocsr())
    svm = LinearSVC(C=c, fit_intercept=False, max_iter=5000)
    svm.fit(x, [label for _, label in rows])
    coef = svm.coef_ if len(labels) > 2 else np.vstack([-svm.coef_[0] / 2, svm.coef_[0] / 2])
    weights_matrix = coef * idf
    weights: dict[str, dict[str, float]] = {}
    for row, label in zip(weights_matrix, svm.classes_, strict=True):
        floor = prune * float(np.abs(row).max())
        order = np.argsort(-row)
        weights[str(label)] = {
            str(names[i]): round(float(row[i]), 4)
            for i in order
            if abs(row[i]) > floor and round(float(row[i]), 4) != 0
        }

    def svm_predict(texts: Sequence[str]) -> list[str]:
        raw = vectorizer.transform(learned_features(texts, bigrams=bigrams, kind=features))
        raw = raw[:, kept]
        return [str(label) for label in svm.predict(normalize(raw.multiply(idf).tocsr()))]

    model = KeywordModel(
        weights,
        evidence=0.0,
        features=features,
        learned={
            "source": source,
            "messages": documents,
            "labels": labels,
            "features": features,
            "bigrams": bigrams,
            "C": c,
            "min_count": min_count,
            "prune": prune,
        },
    )
    return Fitted(model, svm_predict)


_HEADER = """\
# Keyword weights learned by `grid-intake nlp learn` from {source} ({messages} messages).
# 由 `grid-intake nlp learn` 从历史留言学习得到的关键词权重，可直接编辑。
#
# A message scores, for each category, the sum of the weights of the words it contains
# (words of its first sentence count 1.5 times); the highest score wins. Negative weights
# are evidence against a category. "A B" means the word A directly followed by B.
# With `features: chars` a key counts wherever its characters appear in the message
# (single characters and pairs of characters), with no word segmentation.
# Use it with: grid-intake classify --model FILE …, grid-intake nlp eval FILE.csv --model FILE
"""


def dump_model(model: KeywordModel, path: Path | str) -> None:
    body: dict[str, Any] = {}
    if model.learned:
        body["learned"] = model.learned
    if model.features != "words":
        body["features"] = model.features
    body["confidence"] = {"evidence": model.evidence}
    body["categories"] = {
        name: {
            **({"description": model.descriptions[name]} if model.descriptions.get(name) else {}),
            **({"bias": model.bias[name]} if model.bias.get(name) else {}),
            "keywords": table,
        }
        for name, table in model.weights.items()
    }
    header = _HEADER.format(
        source=model.learned.get("source") or "labelled messages",
        messages=model.learned.get("messages", "?"),
    )
    text = yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=1000)
    Path(path).write_text(header + "\n" + text, encoding="utf-8")
