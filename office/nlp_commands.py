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

_DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
REPO_SAMPLE = _DATA / "messages.csv"
# The labelled sets one may tune on (never the held-out ones): both learners are trained and
# scored on splits of them.
COMPARE_SETS = [
    _DATA / name for name in ("messages.csv", "dev.csv", "chat_dev.csv", "letters_dev.csv")
]
COMPARE_SEEDS = (42, 7, 1)


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
    path: Path,
    output: Path,
    *,
    features: str = "chars",
    bigrams: bool,
    c: float,
    min_count: int,
    prune: float,
) -> int:
    from nlp.learning import LearnError, dump_model, learn

    rows = _rows(path)
    try:
        model = learn(
            rows,
            features=features,
            bigrams=bigrams,
            c=c,
            min_count=min_count,
            prune=prune,
            source=path.name,
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
    extras = []
    if model.borders:
        extras.append(f"{len(model.borders)} border rules")
    if model.locatives.words:
        extras.append(f"{len(model.locatives.words)} locatives")
    if model.backoff:
        extras.append(f"{sum(map(len, model.backoff.values()))} backoff words")
    print(f"{path}: OK — {counts}" + (f"; {', '.join(extras)}" if extras else ""))
    # A rule's word that is no keyword can never move: most likely a typo or a removed word.
    keys = {word for table in model.weights.values() for word in table}
    for number, rule in enumerate(model.borders, start=1):
        idle = sorted(rule.words - keys)
        if idle:
            print(
                f"  note: borders rule {number} ({rule.note or rule.to}): not keywords, so never"
                f" moved: {'、'.join(idle)}"
            )
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


def _time_interleaved(
    predictors: dict[str, Any], messages: Sequence[str], *, turn: int = 20
) -> dict[str, dict[str, float]]:
    """Median wall and CPU milliseconds per message of each predictor, measured in turns of
    ``turn`` messages on the same messages (the order of the predictors rotates), so that a
    busy machine slows all alike while each runs as it would in a steady stream. CPU time
    (this thread's) leaves out the time spent waiting for a shared core."""
    names = list(predictors)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for number, first in enumerate(range(0, len(messages), turn)):
        block = messages[first : first + turn]
        for name in names[number % len(names) :] + names[: number % len(names)]:
            predict = predictors[name]
            for text in block:
                wall_start, cpu_start = time.perf_counter(), time.thread_time()
                predict(text)
                cpu[name].append((time.thread_time() - cpu_start) * 1000)
                wall[name].append((time.perf_counter() - wall_start) * 1000)
    return {
        name: {
            "median_ms": round(statistics.median(wall[name]), 4),
            "median_cpu_ms": round(statistics.median(cpu[name]), 4),
        }
        for name in names
    }


def bench_nlp(
    model_path: Path | None,
    data: Sequence[Path] | Path | None,
    *,
    messages: int,
    length: int,
    compare: bool,
) -> int:
    if isinstance(data, Path):
        data = [data]
    files = list(data or (COMPARE_SETS if compare else [REPO_SAMPLE]))
    rows = [row for path in files for row in _rows(path)]
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
        result["compare"] = _compare(rows, texts, [str(path) for path in files])
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


def _compare(rows: list[tuple[str, str]], texts: list[str], files: list[str]) -> dict[str, Any]:
    """The learned keyword file (characters, and jieba words) vs jieba TF-IDF + LinearSVC
    (with plain jieba, and with the same fast tokenizer as ours), trained and scored on the
    same 70/30 splits; then the time per message of each, in turns on the same messages."""
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
    from nlp.tokenizer import make_tokenizer

    fast = make_tokenizer(())
    labels = sorted({label for _, label in rows})

    def ours(features: str) -> Any:
        def train(part: list[tuple[str, str]]) -> Any:
            classifier = Classifier(learn(part, features=features, source="bench"))
            return lambda text: classifier.classify(text, among=labels).category

        return train

    def peer(tokenize: Any) -> Any:
        def train(part: list[tuple[str, str]]) -> Any:
            pipeline = make_pipeline(
                TfidfVectorizer(tokenizer=tokenize, token_pattern=None), LinearSVC()
            )
            pipeline.fit([t for t, _ in part], [label for _, label in part])
            return lambda text: str(pipeline.predict([text])[0])

        return train

    trainers = {
        "learned_chars": ours("chars"),
        "learned_words": ours("words"),
        "tfidf_linearsvc_jieba": peer(jieba.lcut),
        f"tfidf_linearsvc_{BACKEND}": peer(fast.lcut),
    }
    tokenizers = {
        "learned_chars": "none (characters and pairs)",
        "learned_words": BACKEND,
        "tfidf_linearsvc_jieba": f"jieba {jieba.__version__} (pure Python)",
        f"tfidf_linearsvc_{BACKEND}": BACKEND,
    }
    f1: dict[str, list[float]] = {name: [] for name in trainers}
    last: dict[str, Any] = {}
    for seed in COMPARE_SEEDS:
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        cut = int(len(shuffled) * 0.7)
        train, test = shuffled[:cut], shuffled[cut:]
        gold = [label for _, label in test]
        for name, fit in trainers.items():
            predict = fit(train)
            f1[name].append(score(gold, [predict(t) for t, _ in test], labels).macro_f1)
            last[name] = predict
    for predict in last.values():  # warm up: jieba loads its dictionary on first use
        predict(texts[0])
    timing = _time_interleaved(last, texts[:600])
    models = {
        name: {
            "tokenizer": tokenizers[name],
            "macro_f1": round(statistics.mean(f1[name]), 4),
            "macro_f1_per_split": [round(v, 4) for v in f1[name]],
            **timing[name],
        }
        for name in trainers
    }

    def ratio(ours_name: str, peer_name: str) -> dict[str, float]:
        return {
            "wall": round(timing[ours_name]["median_ms"] / timing[peer_name]["median_ms"], 3),
            "cpu": round(
                timing[ours_name]["median_cpu_ms"] / timing[peer_name]["median_cpu_ms"], 3
            ),
        }

    fast_peer = f"tfidf_linearsvc_{BACKEND}"
    return {
        "data": files,
        "split": {"train": int(len(rows) * 0.7), "test": len(rows) - int(len(rows) * 0.7)},
        "seeds": list(COMPARE_SEEDS),
        "timed_messages": min(600, len(texts)),
        "models": models,
        # Time per message, ours ÷ the peer's (target ≤ 0.4), each side on its tokenizer:
        "ratio_learned_chars_vs_peer_jieba": ratio("learned_chars", "tfidf_linearsvc_jieba"),
        "ratio_learned_chars_vs_peer_same_fast_tokenizer": ratio("learned_chars", fast_peer),
        "ratio_learned_words_vs_peer_same_fast_tokenizer": ratio("learned_words", fast_peer),
    }
