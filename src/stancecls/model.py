"""The estimator: multi-label topics plus a stance toward every topic.

Topics
    One logistic regression per topic on the shared TF-IDF features, Platt-
    calibrated by cross-validation (``calibration="sigmoid"``) so that the
    probabilities can be thresholded; a decision threshold per topic.

Stance
    ``stance_mode="pooled"`` (default): one multinomial logistic regression
    over (paragraph, topic) pairs. Each pair's features are the paragraph's
    TF-IDF vector twice, once in a block shared by all topics and once in the
    block of its topic, plus a topic indicator (feature augmentation). Shared
    weights learn that *mengecam* is against whatever it is aimed at; topic
    blocks learn what is specific (for ``ukraine_aid`` *menolak* lethal
    weapons is against). Stance probabilities exist for every topic, so a
    caller can ask for the stance toward a topic that was not flagged.

    ``"shared"`` drops the topic blocks; ``"per_topic"`` fits one classifier
    per topic and falls back to the shared one for topics with too few
    examples or a single stance. On grouped 5-fold cross-validation of the
    labelled data (1,690 paragraphs) ``"pooled"`` gave the best stance
    macro-F1: 0.839, against 0.810 for ``"shared"`` and 0.816 for
    ``"per_topic"`` (``benchmarks/REPORT.md``), which is why it is the default.
"""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from .features import TextFeatures, _as_texts
from .schema import ABSENT

__all__ = ["StanceClassifier", "STANCE_MODES", "pair_features"]

STANCE_MODES = ("pooled", "shared", "per_topic")
# Newton-CG: deterministic, and 2-3x faster than lbfgs on these wide sparse matrices (measured on data/labels).
SOLVER = "newton-cg"
_FEATURE_PARAMS = (
    "word_ngram_range",
    "char_ngram_range",
    "stem",
    "stopwords",
    "protected_words",
    "min_df",
    "sublinear_tf",
    "max_features",
)


def pair_features(Z, topic_index, n_topics: int, *, shared_only: bool):
    """(paragraph, topic) features: [shared block | one block per topic | topic indicator].

    Row ``i`` is paragraph ``Z[i]`` paired with topic ``topic_index[i]`` (or one
    topic for all rows); its TF-IDF vector appears in the shared block and in
    the block of its topic. ``shared_only`` drops the topic blocks.
    """
    n = Z.shape[0]
    topic_index = np.broadcast_to(np.asarray(topic_index), (n,))
    indicator = sp.csr_matrix((np.ones(n), (np.arange(n), topic_index)), shape=(n, n_topics))
    if shared_only:
        return sp.hstack([Z, indicator], format="csr")
    blocks = [Z]
    for j in range(n_topics):
        blocks.append(sp.diags((topic_index == j).astype(np.float64)) @ Z)
    blocks.append(indicator)
    return sp.hstack(blocks, format="csr")


class StanceClassifier(BaseEstimator):
    """Topic (multi-label) and stance classifier for paragraphs.

    Parameters
    ----------
    topics : sequence of str or None, default=None
        Topic names, one per column of ``y``; ``None`` names them
        ``topic_0, topic_1, ...``.
    stances : sequence of str, default=("favor", "against", "neutral")
        Stance values.
    word_ngram_range, char_ngram_range, stem, stopwords, protected_words, min_df, sublinear_tf, max_features
        Feature settings, see :class:`~stancecls.features.TextFeatures`.
    topic_C : float, default=10.0
        Inverse regularisation strength of the topic classifiers.
    stance_C : float, default=10.0
        Inverse regularisation strength of the stance classifier(s).
    class_weight : {"balanced"} or None, default="balanced"
        Class weights of both classifiers, against label imbalance.
    calibration : {"sigmoid", "isotonic", "none"}, default="sigmoid"
        How topic probabilities are calibrated (``CalibratedClassifierCV``).
    calibration_cv : int, default=3
        Folds used for calibration.
    threshold : float or dict, default=0.5
        Decision threshold on topic probability; a dict gives one per topic
        (missing topics use 0.5).
    stance_mode : {"pooled", "shared", "per_topic"}, default="pooled"
        How stance is conditioned on the topic (see the module docstring).
    min_topic_pairs : int, default=10
        With ``stance_mode="per_topic"``, topics with fewer labelled examples
        use the shared classifier.
    multi_label : bool, default=True
        ``False`` for single-label data (one class per paragraph, e.g. a
        sentiment set): :meth:`predict` then gives exactly the most probable
        topic, and thresholds are not used.

    Attributes
    ----------
    topics_ : ndarray of str
    stances_ : ndarray of str
    features_ : TextFeatures
    topic_estimators_ : list of classifiers
        One per topic; with ``multi_label=False`` a single multinomial one over the topics (classes).
    thresholds_ : ndarray of float, one per topic
    stance_estimator_ : classifier over (paragraph, topic) pairs
    stance_topic_estimators_ : list, per topic (``per_topic`` mode; None where the shared one is used)

    Examples
    --------
    >>> clf = StanceClassifier(topics=["aid"], char_ngram_range=None, stem=False, calibration="none")
    >>> X = ["kirim bantuan", "tolak bantuan", "cuaca cerah", "hujan deras"]
    >>> y = [["favor"], ["against"], [""], [""]]
    >>> clf.fit(X, y).predict(["kirim bantuan lagi"]).tolist()
    [['favor']]
    """

    def __init__(
        self,
        *,
        topics=None,
        stances=("favor", "against", "neutral"),
        word_ngram_range=(1, 2),
        char_ngram_range=(2, 5),
        stem=True,
        stopwords=False,
        protected_words=None,
        min_df=1,
        sublinear_tf=True,
        max_features=None,
        topic_C=10.0,
        stance_C=10.0,
        class_weight="balanced",
        calibration="sigmoid",
        calibration_cv=3,
        threshold=0.5,
        stance_mode="pooled",
        min_topic_pairs=10,
        multi_label=True,
    ):
        self.topics = topics
        self.stances = stances
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.stem = stem
        self.stopwords = stopwords
        self.protected_words = protected_words
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.max_features = max_features
        self.topic_C = topic_C
        self.stance_C = stance_C
        self.class_weight = class_weight
        self.calibration = calibration
        self.calibration_cv = calibration_cv
        self.threshold = threshold
        self.stance_mode = stance_mode
        self.min_topic_pairs = min_topic_pairs
        self.multi_label = multi_label

    # ------------------------------------------------------------------ fit
    def _validate(self, X, y):
        X = _as_texts(X)
        y = np.asarray(y, dtype=object)
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if y.ndim != 2 or y.shape[0] != len(X):
            raise ValueError(
                f"y must have one row per paragraph and one column per topic; got shape {y.shape} for {len(X)} paragraphs"
            )
        if len(X) == 0:
            raise ValueError("cannot fit on zero paragraphs")
        y = np.where(np.equal(y, None), ABSENT, y)
        stances = tuple(self.stances)
        if not stances or len(set(stances)) != len(stances):
            raise ValueError(f"stances must be distinct, non-empty names; got {list(stances)}")
        bad = sorted({str(v) for v in y.ravel() if v != ABSENT and v not in stances})
        if bad:
            raise ValueError(f"y holds values that are not stances {list(stances)} or '' (absent): {bad}")
        if self.topics is None:
            topics = tuple(f"topic_{j}" for j in range(y.shape[1]))
        else:
            topics = tuple(self.topics)
            if len(topics) != y.shape[1]:
                raise ValueError(f"topics names {len(topics)} topics but y has {y.shape[1]} columns")
        if self.stance_mode not in STANCE_MODES:
            raise ValueError(f"stance_mode must be one of {STANCE_MODES}; got {self.stance_mode!r}")
        if self.calibration not in ("sigmoid", "isotonic", "none"):
            raise ValueError(f"calibration must be 'sigmoid', 'isotonic' or 'none'; got {self.calibration!r}")
        return X, y, topics, stances

    def _thresholds(self, topics) -> np.ndarray:
        t = self.threshold
        if isinstance(t, dict):
            unknown = set(t) - set(topics)
            if unknown:
                raise ValueError(f"threshold names unknown topics: {sorted(unknown)}")
            values = [float(t.get(name, 0.5)) for name in topics]
        elif isinstance(t, Real):
            values = [float(t)] * len(topics)
        else:
            raise ValueError(f"threshold must be a number or a dict {{topic: number}}; got {t!r}")
        if not all(0.0 <= v <= 1.0 for v in values):
            raise ValueError(f"thresholds must lie in [0, 1]; got {values}")
        return np.asarray(values)

    def _topic_estimator(self, present: np.ndarray):
        lr = LogisticRegression(C=self.topic_C, class_weight=self.class_weight, solver=SOLVER, max_iter=2000)
        n_min = int(min(present.sum(), (~present).sum()))
        if n_min == 0:
            return DummyClassifier(strategy="prior")
        if self.calibration == "none" or n_min < 2:
            return lr
        folds = min(self.calibration_cv, n_min)
        # A fixed, unshuffled split keeps fitting deterministic without a seed.
        return CalibratedClassifierCV(lr, method=self.calibration, cv=StratifiedKFold(folds), ensemble=False)

    def _stance_estimator(self, labels: np.ndarray):
        if len(np.unique(labels)) < 2:
            return DummyClassifier(strategy="prior")
        return LogisticRegression(C=self.stance_C, class_weight=self.class_weight, solver=SOLVER, max_iter=2000)

    def fit(self, X, y):
        """Fit on paragraphs and their labels.

        Parameters
        ----------
        X : list of str
            Paragraphs.
        y : array-like of shape (n_paragraphs, n_topics)
            The stance of each topic present in a paragraph, ``""`` for a topic
            that is absent (see :func:`stancecls.schema.labels_to_matrix`).

        Returns
        -------
        self
        """
        X, y, topics, stances = self._validate(X, y)
        self.topics_ = np.asarray(topics, dtype=object)
        self.stances_ = np.asarray(stances, dtype=object)
        self.thresholds_ = self._thresholds(topics)
        self.features_ = TextFeatures(**{p: getattr(self, p) for p in _FEATURE_PARAMS}).fit(X)
        Z = self.features_.transform(X)
        present = y != ABSENT
        if self.multi_label:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=UserWarning)
                self.topic_estimators_ = [
                    self._topic_estimator(present[:, j]).fit(Z, present[:, j]) for j in range(len(topics))
                ]
        else:
            # Single-label data: one multinomial regression over the classes beats one-vs-rest.
            counts = present.sum(axis=1)
            if (counts != 1).any():
                bad = int(np.flatnonzero(counts != 1)[0])
                raise ValueError(f"multi_label=False needs exactly one topic per paragraph; paragraph {bad} has {int(counts[bad])}")
            classes = np.asarray(topics, dtype=object)[present.argmax(axis=1)].astype(str)
            self.topic_estimators_ = [
                LogisticRegression(C=self.topic_C, class_weight=self.class_weight, solver=SOLVER, max_iter=2000).fit(Z, classes)
            ]
        rows, cols = np.nonzero(present)
        if len(rows) == 0:
            raise ValueError("no paragraph has a topic: the stance classifier has nothing to learn from")
        labels = y[rows, cols].astype(str)
        Zp = pair_features(Z[rows], cols, len(topics), shared_only=self.stance_mode == "shared")
        self.stance_estimator_ = self._stance_estimator(labels).fit(Zp, labels)
        self.stance_topic_estimators_ = [None] * len(topics)
        if self.stance_mode == "per_topic":
            for j in range(len(topics)):
                mask = cols == j
                if mask.sum() >= self.min_topic_pairs and len(np.unique(labels[mask])) >= 2:
                    self.stance_topic_estimators_[j] = self._stance_estimator(labels[mask]).fit(Z[rows[mask]], labels[mask])
        return self

    # -------------------------------------------------------------- predict
    def _stance_proba_matrix(self, est, F) -> np.ndarray:
        """Probabilities in the order of ``stances_`` (zeros for unseen stances)."""
        proba = est.predict_proba(F)
        out = np.zeros((F.shape[0], len(self.stances_)))
        for c, label in enumerate(est.classes_):
            out[:, list(self.stances_).index(label)] = proba[:, c]
        return out

    def transform_features(self, X):
        """TF-IDF features of paragraphs (the input of every classifier)."""
        check_is_fitted(self, "features_")
        return self.features_.transform(_as_texts(X))

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each topic, shape ``(n_paragraphs, n_topics)``."""
        Z = self.transform_features(X)
        return self._topic_proba(Z)

    def _topic_proba(self, Z) -> np.ndarray:
        out = np.zeros((Z.shape[0], len(self.topics_)))
        if not self.multi_label:
            (est,) = self.topic_estimators_
            proba = est.predict_proba(Z)
            for c, label in enumerate(est.classes_):
                out[:, list(self.topics_).index(label)] = proba[:, c]
            return out
        for j, est in enumerate(self.topic_estimators_):
            classes = list(est.classes_)
            if True in classes:
                out[:, j] = est.predict_proba(Z)[:, classes.index(True)]
        return out

    def predict_stance_proba(self, X) -> np.ndarray:
        """Stance probabilities toward every topic.

        Returns
        -------
        ndarray of shape (n_paragraphs, n_topics, n_stances)
            ``[i, j, s]`` is the probability that paragraph ``i`` takes stance
            ``stances_[s]`` toward topic ``topics_[j]``, whether or not the
            topic was predicted.
        """
        Z = self.transform_features(X)
        return self._stance_proba(Z)

    def _stance_proba(self, Z) -> np.ndarray:
        n, k = Z.shape[0], len(self.topics_)
        out = np.zeros((n, k, len(self.stances_)))
        for j in range(k):
            own = self.stance_topic_estimators_[j]
            if own is not None:
                out[:, j, :] = self._stance_proba_matrix(own, Z)
            else:
                F = pair_features(Z, j, k, shared_only=self.stance_mode == "shared")
                out[:, j, :] = self._stance_proba_matrix(self.stance_estimator_, F)
        return out

    def predict_all(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Topic probabilities and stance probabilities in one pass over the features."""
        Z = self.transform_features(X)
        return self._topic_proba(Z), self._stance_proba(Z)

    def predict(self, X) -> np.ndarray:
        """Labels in the shape of ``y``: the stance of each predicted topic, ``""`` elsewhere."""
        topic_p, stance_p = self.predict_all(X)
        stance = self.stances_[stance_p.argmax(axis=2)]
        return np.where(self.decide(topic_p), stance, ABSENT).astype(object)

    def decide(self, topic_proba) -> np.ndarray:
        """Topic decisions from topic probabilities: thresholds, or the arg-max when ``multi_label=False``."""
        check_is_fitted(self, "thresholds_")
        topic_proba = np.asarray(topic_proba)
        if self.multi_label:
            return topic_proba >= self.thresholds_
        out = np.zeros(topic_proba.shape, dtype=bool)
        out[np.arange(len(topic_proba)), topic_proba.argmax(axis=1)] = True
        return out

    def score(self, X, y) -> float:
        """Mean of topic macro-F1 and stance macro-F1 (on the gold topics) against ``y``.

        The default score of :class:`~sklearn.model_selection.GridSearchCV`.
        """
        from .evaluate import score as _score

        y = np.asarray(y, dtype=object)
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        topic_p, stance_p = self.predict_all(X)
        m = _score(y, self.decide(topic_p), self.stances_[stance_p.argmax(axis=2)], self.topics_, self.stances_)
        return (m["topic_macro_f1"] + m["stance_macro_f1"]) / 2

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.target_tags.multi_output = True
        return tags
