"""``grid-intake nlp eval|learn|check`` and ``grid-intake bench nlp``."""

from __future__ import annotations

import json
import random
import resource
import statistics
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlp.classifier import DEFAULT_MODEL, Classifier, KeywordModel, ModelError
from nlp.evaluation import read_labelled, score
from nlp.tokenizer import BACKEND

__all__ = ["bench_nlp", "check_model", "evaluate", "learn_model"]

REPO_SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "messages.csv"


class NlpCommandError(Exception):
    """A user error of these commands: one line, exit status 1."""


def _model(path: Path | None) -> KeywordModel:
    try:
        return KeywordModel.load(path or DEFAULT_MODEL)
    except ModelError as error:
        raise NlpCommandError(str(error)) from None


def _rows(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        raise NlpCommandError(f"no such file: {path}")
    try:
        return read_labelled(path)
    except (ValueError, UnicodeDecodeError) as error:
        raise NlpCommandError(str(error)) from None


def evaluate(path: Path, model_path: Path | None, *, as_json: bool) -> int:
    rows = _rows(path)
    classifier = Classifier(_model(model_path))
    labels = sorted({label for _, label in rows})  # only labels in the file compete
    predicted = [classifier.classify(text, among=labels).category for text, _ in rows]
    report = score([label for _, label in rows], predicted, labels)
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print(report.as_text())
    return 0


def learn_model(
    path: Path, output: Path, *, bigrams: bool, c: float, min_count: int, prune: float
) -> int:
    from nlp.learning import LearnError, dump_model, learn

    rows = _rows(path)
    try:
        model = learn(
            rows, bigrams=bigrams, c=c, min_count=min_count, prune=prune, source=path.name
        )
    except LearnError as error:
        raise NlpCommandError(str(error)) from None
    dump_model(model, output)
    words = sum(len(table) for table in model.weights.values())
    print(
        f"learned {len(model.weights)} categories, {words} weights "
        f"from {len(rows)} messages → {output}"
    )
    return 0


def check_model(path: Path) -> int:
    model = _model(path)
    classifier = Classifier(model)
    classifier.classify("检查")  # builds the tokenizer with every word of the file
    counts = ", ".join(f"{name} {len(table)}" for name, table in model.weights.items())
    print(f"{path}: OK — {counts}")
    return 0


def _messages_of_length(texts: Sequence[str], length: int, count: int) -> list[str]:
    """``count`` messages of exactly ``length`` characters, built from real sentences."""
    rng = random.Random(7)
    pool = [t for t in texts if t]
    out = []
    for _ in range(count):
        parts: list[str] = []
        while sum(map(len, parts)) < length:
            parts.append(rng.choice(pool))
        out.append("".join(parts)[:length])
    return out


def _time_ms(classify: Any, messages: Sequence[str]) -> tuple[float, float]:
    timings = []
    for text in messages:
        start = time.perf_counter()
        classify(text)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def bench_nlp(
    model_path: Path | None, data: Path | None, *, messages: int, length: int, compare: bool
) -> int:
    data = data or REPO_SAMPLE
    rows = _rows(data)
    texts = _messages_of_length([t for t, _ in rows], length, messages)
    # Memory first, under tracemalloc (which slows Python down); then time without it.
    tracemalloc.start()
    classifier = Classifier(_model(model_path))
    for text in texts[:200]:
        classifier.classify(text)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    median, p95 = _time_ms(classifier.classify, texts)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result: dict[str, Any] = {
        "tokenizer": BACKEND,
        "model": str(model_path or DEFAULT_MODEL),
        "messages": len(texts),
        "characters": length,
        "median_ms": round(median, 4),
        "p95_ms": round(p95, 4),
        "peak_traced_mib": round(peak / 2**20, 1),
        "max_rss_mib": round(rss, 1),
    }
    if compare:
        result["compare"] = _compare(rows, texts)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


def _compare(rows: list[tuple[str, str]], texts: list[str]) -> dict[str, Any]:
    """Learned keyword file vs jieba TF-IDF + LinearSVC, trained and tested on one split."""
    try:
        import jieba

        jieba.setLogLevel(30)
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline
        from sklearn.svm import LinearSVC
    except ImportError:
        raise NlpCommandError(
            "bench nlp --compare needs scikit-learn: pip install 'grid-intake[learn]'"
        ) from None
    from nlp.learning import learn

    shuffled = rows[:]
    random.Random(42).shuffle(shuffled)
    cut = int(len(shuffled) * 0.7)
    train, test = shuffled[:cut], shuffled[cut:]
    labels = sorted({label for _, label in rows})
    gold = [label for _, label in test]

    learned = Classifier(learn(train, source="bench"))
    baseline = make_pipeline(TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None), LinearSVC())
    baseline.fit([t for t, _ in train], [label for _, label in train])

    def learned_predict(text: str) -> str:
        return learned.classify(text, among=labels).category

    def baseline_predict(text: str) -> str:
        return str(baseline.predict([text])[0])

    figures = {}
    for name, predict in (
        ("learned_keywords", learned_predict),
        ("tfidf_linearsvc", baseline_predict),
    ):
        report = score(gold, [predict(t) for t, _ in test], labels)
        median, _ = _time_ms(predict, texts[:300])
        figures[name] = {"macro_f1": round(report.macro_f1, 4), "median_ms": round(median, 4)}
    figures["split"] = {"train": len(train), "test": len(test)}
    return figures
