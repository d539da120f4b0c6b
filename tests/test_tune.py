"""The hyper-parameter search: deterministic, bounded, and it respects fixed parameters."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

import stancecls
from stancecls import StanceClassifier, labels_to_matrix, load_labels
from stancecls.tune import best_thresholds, tune

from conftest import LABELS

SMALL = {"word_ngram_range": [(1, 1), (1, 2)], "char_ngram_range": [None, (2, 4)], "stem": [True], "sublinear_tf": [True],
         "min_df": [1], "topic_C": [1.0, 10.0], "class_weight": ["balanced"], "stance_C": [1.0, 10.0]}


@pytest.fixture(scope="module")
def seeds():
    schema, records = load_labels(LABELS / "seeds.jsonl")
    return schema, [r.text for r in records], labels_to_matrix(records, schema), [r.doc for r in records]


def test_best_thresholds_match_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(5, 50))
        y = rng.random((n, 1)) < 0.3
        p = np.round(rng.random((n, 1)), 2)
        if y.sum() in (0, n):
            continue
        th = best_thresholds(y, p, ["t"])["t"]
        u = np.unique(p[:, 0])
        cands = np.concatenate([[0.5], (u[1:] + u[:-1]) / 2])
        best = max(f1_score(y[:, 0], p[:, 0] >= c) for c in cands)
        assert f1_score(y[:, 0], p[:, 0] >= th) == pytest.approx(best)


def test_search_is_deterministic_and_records_candidates(seeds):
    schema, X, y, docs = seeds
    est = StanceClassifier(topics=schema.topics, calibration_cv=2)
    a = tune(est, X, y, docs, n_feature_configs=2, space=SMALL, seed=1)
    b = tune(est, X, y, docs, n_feature_configs=2, space=SMALL, seed=1)
    assert a.params == b.params and a.thresholds == b.thresholds and a.score == b.score
    assert a.complete and len(a.candidates) == 2 * (2 + 2)
    assert set(a.thresholds) == set(schema.topics)
    assert a.params["topic_C"] in SMALL["topic_C"] and a.params["stance_C"] in SMALL["stance_C"]


def test_time_bound_stops_the_search(seeds):
    schema, X, y, docs = seeds
    res = tune(StanceClassifier(topics=schema.topics, calibration_cv=2), X, y, docs, n_feature_configs=3,
               space=SMALL, max_seconds=1e-9)
    assert not res.complete
    assert len({(c["word_ngram_range"][1], str(c["char_ngram_range"])) for c in res.candidates}) == 1


def test_train_keeps_explicit_parameters_out_of_the_search(tiny_dir):
    model = stancecls.train(tiny_dir, cv=0, tune_configs=3, topic_C=3.0, calibration="none")
    assert model.estimator.topic_C == 3.0
    assert {c["topic_C"] for c in model.manifest["tuning"]["candidates"] if c["part"] == "topic"} == {3.0}
    assert model.estimator.stem is False  # English schema: never stemmed


def test_threshold_floor_is_respected():
    rng = np.random.default_rng(1)
    y = rng.random((200, 2)) < 0.3
    p = np.clip(y * 0.35 + rng.random((200, 2)) * 0.6, 0, 1)
    free = best_thresholds(y, p, ["a", "b"])
    floored = best_thresholds(y, p, ["a", "b"], floor=0.7)
    assert min(free.values()) < 0.7 <= min(floored.values())


@pytest.mark.parametrize("settings", [
    {},
    {"word_ngram_range": (1, 3), "char_ngram_range": None, "stem": False, "sublinear_tf": False, "min_df": 2},
    {"char_ngram_range": (3, 5), "min_df": 2, "stopwords": True},
    {"max_features": 300},
    {"min_df": 0.1, "char_ngram_range": (2, 3)},
])
def test_fold_matrices_are_those_of_fitting_each_fold(seeds, settings):
    """The search reads the texts once per setting; its matrices are a fold's fit_transform/transform, bit for bit."""
    from sklearn.base import clone
    from sklearn.model_selection import GroupKFold

    from stancecls.features import TextFeatures, fold_matrices

    _, texts, _, groups = seeds
    folds = list(GroupKFold(n_splits=3, shuffle=True, random_state=0).split(texts, None, groups))
    features = TextFeatures(**settings)
    for (train, test), got in zip(folds, fold_matrices(features, texts, folds), strict=True):
        fitted = clone(features)
        want = (fitted.fit_transform([texts[i] for i in train]), fitted.transform([texts[i] for i in test]))
        for a, b in zip(want, got):
            assert a.shape == b.shape
            for part in ("indptr", "indices", "data"):
                assert np.array_equal(getattr(a, part), getattr(b, part))
