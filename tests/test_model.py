"""The estimator honours scikit-learn's contract (check_estimator skips text estimators)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, GroupKFold

from stancecls import StanceClassifier, labels_to_matrix, load_labels

from conftest import LABELS

FAST = dict(char_ngram_range=(2, 3), calibration_cv=2)


@pytest.fixture(scope="module")
def seeds():
    schema, records = load_labels(LABELS / "seeds.jsonl")
    return schema, [r.text for r in records], labels_to_matrix(records, schema), [r.doc for r in records]


def test_init_only_stores_parameters():
    est = StanceClassifier(topic_C=3.0, stance_mode="shared", threshold={"a": 0.3})
    assert est.get_params()["topic_C"] == 3.0
    assert not [k for k in vars(est) if k.endswith("_")]
    with pytest.raises(TypeError):
        StanceClassifier(None)  # keyword-only


def test_params_round_trip_and_clone():
    params = dict(topics=["a", "b"], topic_C=2.5, stance_C=0.5, word_ngram_range=(1, 3), char_ngram_range=None,
                  stem=False, stopwords=True, protected_words=("x",), min_df=2, sublinear_tf=False,
                  max_features=100, class_weight=None, calibration="isotonic", calibration_cv=4, multi_label=False,
                  threshold=0.4, stance_mode="per_topic", min_topic_pairs=3, stances=("p", "c"))
    est = StanceClassifier(**params)
    assert {k: est.get_params()[k] for k in params} == params
    assert set(est.get_params()) == set(params)  # every parameter is in get_params
    twin = clone(est)
    assert twin.get_params() == est.get_params() and twin is not est
    est2 = StanceClassifier().set_params(**params)
    assert est2.get_params() == est.get_params()


def test_not_fitted_error(seeds):
    _, X, _, _ = seeds
    for method in ("predict", "predict_proba", "predict_stance_proba"):
        with pytest.raises(NotFittedError):
            getattr(StanceClassifier(), method)(X[:2])


def test_fit_predict_shapes_and_fitted_attributes(seeds):
    schema, X, y, _ = seeds
    est = StanceClassifier(topics=schema.topics, **FAST).fit(X, y)
    assert list(est.topics_) == list(schema.topics) and list(est.stances_) == list(schema.stances)
    proba = est.predict_proba(X)
    stance = est.predict_stance_proba(X)
    assert proba.shape == (len(X), 4) and ((proba >= 0) & (proba <= 1)).all()
    assert stance.shape == (len(X), 4, 3)
    np.testing.assert_allclose(stance.sum(axis=2), 1.0)  # a stance distribution for every topic
    pred = est.predict(X)
    assert pred.shape == y.shape
    assert set(pred.ravel()) <= {"", "favor", "against", "neutral"}
    # on its own training data the model recovers alliance_strengthening
    j = list(schema.topics).index("alliance_strengthening")
    assert ((pred[:, j] != "") == (y[:, j] != "")).mean() > 0.9


def test_deterministic_bit_for_bit(seeds):
    schema, X, y, _ = seeds
    a = StanceClassifier(topics=schema.topics, **FAST).fit(X, y)
    b = StanceClassifier(topics=schema.topics, **FAST).fit(X, y)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert np.array_equal(a.predict_stance_proba(X), b.predict_stance_proba(X))


def test_pickle_round_trip(seeds):
    schema, X, y, _ = seeds
    est = StanceClassifier(topics=schema.topics, **FAST).fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    assert np.array_equal(est.predict_proba(X), again.predict_proba(X))
    assert np.array_equal(est.predict(X), again.predict(X))


@pytest.mark.parametrize("mode", ["pooled", "shared", "per_topic"])
def test_stance_modes(seeds, mode):
    schema, X, y, _ = seeds
    est = StanceClassifier(topics=schema.topics, stance_mode=mode, min_topic_pairs=5, **FAST).fit(X, y)
    assert est.predict_stance_proba(X[:3]).shape == (3, 4, 3)
    if mode == "per_topic":
        assert any(e is not None for e in est.stance_topic_estimators_)


def test_thresholds(seeds):
    schema, X, y, _ = seeds
    est = StanceClassifier(topics=schema.topics, threshold={"ukraine_aid": 0.9}, **FAST).fit(X, y)
    assert est.thresholds_.tolist() == [0.5, 0.9, 0.5, 0.5]
    low = clone(est).set_params(threshold=0.0).fit(X, y)
    assert (low.predict(X) != "").all()
    with pytest.raises(ValueError, match="unknown topics"):
        clone(est).set_params(threshold={"zz": 0.1}).fit(X, y)


def test_grid_search_over_hyper_parameters(seeds):
    schema, X, y, docs = seeds

    grid = GridSearchCV(
        StanceClassifier(topics=schema.topics, **FAST),
        {"topic_C": [0.1, 10.0], "stem": [True, False]},
        cv=GroupKFold(2),
        error_score="raise",
    )
    grid.fit(X, y, groups=docs)
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert set(grid.best_params_) == {"topic_C", "stem"}
    assert grid.best_estimator_.topic_C == grid.best_params_["topic_C"]


@pytest.mark.parametrize(
    "y, message",
    [([["favor"]], "one row per paragraph"), ([["x"], ["favor"]], "not stances"), ([[""], [""]], "no paragraph has a topic")],
)
def test_bad_targets_are_refused(y, message):
    with pytest.raises(ValueError, match=message):
        StanceClassifier(char_ngram_range=None, calibration="none").fit(["a b", "c d"], y)


def test_single_string_is_refused(seeds):
    schema, X, y, _ = seeds
    est = StanceClassifier(topics=schema.topics, **FAST).fit(X, y)
    with pytest.raises(TypeError, match="single string"):
        est.predict("Korea")


def test_topic_without_positives_gets_zero_probability():
    X = ["a b c", "d e f", "a c", "e f"]
    y = [["favor", ""], ["", ""], ["against", ""], ["", ""]]
    est = StanceClassifier(char_ngram_range=None, stem=False, calibration="none").fit(X, y)
    assert (est.predict_proba(X)[:, 1] == 0).all()
