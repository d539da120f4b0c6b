"""The library API: :func:`train`, :func:`load`, :class:`Model` and :class:`Prediction`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from .errors import ModelFileError, StanceclsError
from .schema import ABSENT, LabelRecord, LabelSchema, labels_to_matrix, text_key

__all__ = ["Prediction", "Model", "train", "load", "add_background", "bundled_model_path", "data_sha256", "ENGINES"]


@dataclass
class Prediction:
    """The prediction for one paragraph; the same ``topics``/``stance`` fields as a label record.

    Attributes
    ----------
    id : str
        The input's id, or its 1-based position.
    topics : list of str
        Topics whose probability reaches the model's threshold.
    stance : dict
        Stance toward each predicted topic.
    scores : dict
        Probability of every topic.
    stance_scores : dict
        ``{topic: {stance: probability}}`` for every topic, predicted or not.
    other : bool
        True when no topic is predicted.
    extra : dict
        Further fields written after the others (``doc`` and ``paragraph`` for
        segmented articles).
    """

    id: str
    topics: list[str]
    stance: dict[str, str]
    scores: dict[str, float]
    stance_scores: dict[str, dict[str, float]]
    other: bool
    extra: dict[str, Any] = field(default_factory=dict)
    _explain: Any = field(default=None, repr=False, compare=False)

    def explain(self, k: int = 10) -> dict[str, Any]:
        """The n-grams that moved each topic and stance score (see :meth:`Model.explain`)."""
        if self._explain is None:
            raise ValueError("this prediction was not made by a Model; use Model.explain(text)")
        model, text = self._explain
        return model.explain([text], k=k)[0]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form, in the label-record field order."""
        out = {
            "id": self.id,
            "topics": list(self.topics),
            "stance": dict(self.stance),
            "scores": dict(self.scores),
            "stance_scores": {t: dict(s) for t, s in self.stance_scores.items()},
            "other": self.other,
        }
        out.update(self.extra)
        return out

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps(self.to_dict(), ensure_ascii=False)


def data_sha256(records: Iterable[LabelRecord]) -> str:
    """sha256 of the labelled content (id, doc, text, topics, stance), independent of file layout."""
    h = hashlib.sha256()
    for r in sorted(records, key=lambda r: r.id):
        row = [r.id, r.doc, r.text, list(r.topics), sorted(r.stance.items())]
        h.update(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
    return h.hexdigest()


class Model:
    """A fitted classifier with its label schema and manifest.

    Get one from :func:`train` or :func:`load`; do not build it by hand.

    Parameters
    ----------
    estimator : StanceClassifier or None
        Fitted estimator; ``None`` when loaded from a bundle (it is then read
        from the model's joblib file the first time :attr:`estimator` is used).
    schema : LabelSchema
    manifest : dict, optional
        What :func:`train` measured and :func:`load` read.
    predictor : CompiledModel, optional
        What :meth:`predict` uses; default the estimator.
    source : Path, optional
        The folder the model was loaded from.
    """

    def __init__(self, estimator, schema: LabelSchema, manifest: dict | None = None, *, predictor=None,
                 source: Path | None = None, trust: bool = False) -> None:
        if estimator is None and predictor is None:
            raise ValueError("a Model needs an estimator or a predictor")
        self._estimator = estimator
        self.predictor = predictor if predictor is not None else estimator
        self.schema = schema
        self.manifest = manifest or {}
        self.source = source
        self.trust = trust
        self.min_score: float | None = None
        self._compiled_cache = None  # a bundle built from the estimator, for explain/inspect

    @property
    def estimator(self):
        """The fitted :class:`~stancecls.model.StanceClassifier` (read from the joblib file on first use).

        .. warning:: Reading it unpickles the model's joblib file, which can run
           code: do it only for model files you trust.
        """
        if self._estimator is None:
            from .persist import load_model

            if self.source is None:
                raise ModelFileError("this model has no estimator to load", "train it with stancecls.train")
            self._estimator, _ = load_model(self.source, trust=self.trust)
        return self._estimator

    def explain(self, texts: Iterable[str] | str, k: int = 10) -> list[dict[str, Any]]:
        """Why each paragraph got its scores: the n-grams with the largest terms in each linear score.

        Exact for this linear model: for every topic, the listed contributions
        (TF-IDF value × weight) plus the ones not listed plus the intercept
        add up to the topic's score before calibration; for the stance toward
        each topic, to the chosen stance's score minus the mean of the stances'
        scores.

        Parameters
        ----------
        texts : str or iterable of str
        k : int, default=10
            N-grams listed per topic and per stance, largest magnitude first.

        Returns
        -------
        list of dict
            One per paragraph: ``{"topics": {topic: {...}}, "stance": {topic: {...}}}``.
        """
        from .compiled import explain

        if isinstance(texts, str):
            texts = [texts]
        compiled = self._compiled()
        return [explain(compiled, t, k) for t in texts]

    def _compiled(self):
        from .compiled import CompiledModel

        if isinstance(self.predictor, CompiledModel):
            return self.predictor
        if self._compiled_cache is None:
            from .bundle import compile_estimator

            self._compiled_cache = compile_estimator(self.estimator)
        return self._compiled_cache

    def with_min_score(self, min_score: float | None) -> "Model":
        """Flag a topic only when its probability also reaches ``min_score`` (on top of the model's thresholds).

        For a raw news stream, where on-topic paragraphs are rare, a high
        ``min_score`` trades recall for precision (``benchmarks/REPORT.md``
        shows both operating points on real news). Returns ``self``.
        """
        if min_score is not None and not 0.0 <= min_score <= 1.0:
            raise ValueError(f"min_score must lie in [0, 1]; got {min_score}")
        self.min_score = min_score
        return self

    @property
    def engine(self) -> str:
        """``"bundle"`` (the pickle-free compiled predictor) or ``"sklearn"``."""
        return "sklearn" if self.predictor is self._estimator else "bundle"

    @property
    def topics(self) -> list[str]:
        """Topic names, in schema order."""
        return list(self.predictor.topics_)

    @property
    def stances(self) -> list[str]:
        """Stance values."""
        return list(self.predictor.stances_)

    def predict_proba(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities as arrays, the fastest way to score many paragraphs.

        Returns
        -------
        topic : ndarray of shape (n, n_topics)
        stance : ndarray of shape (n, n_topics, n_stances)
        """
        return self.predictor.predict_all(list(texts))

    def topic_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Topic probabilities alone, for screening many paragraphs for the topics.

        The same numbers, bit for bit, as ``predict_proba(texts)[0]``. The
        compiled predictor skips the stance columns, three quarters of the
        weights, so a first pass over new text is about a fifth faster.

        Returns
        -------
        ndarray of shape (n, n_topics)
        """
        return self.predictor.predict_proba(list(texts))

    def __repr__(self) -> str:
        return f"Model(topics={self.topics}, stances={self.stances})"

    def _decisions(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Topic and stance probabilities of ``texts`` and which topics are predicted (with ``min_score``)."""
        topic_p, stance_p = self.predictor.predict_all(list(texts))
        decided = self.predictor.decide(topic_p)
        if self.min_score is not None:
            decided &= topic_p >= self.min_score
        return topic_p, stance_p, decided

    def _predictions(self, ids: Sequence[str], texts: Sequence[str], extras=None, scored=None) -> list[Prediction]:
        """Predictions for ``texts``; ``scored`` is their :meth:`_decisions` when already made."""
        topic_p, stance_p, decided = self._decisions(texts) if scored is None else scored
        topics, stances = self.topics, self.stances
        # plain lists once: indexing NumPy arrays element by element costs more than the scoring
        tp, sp, dec, best = topic_p.tolist(), stance_p.tolist(), decided.tolist(), stance_p.argmax(axis=2).tolist()
        out = []
        for i, rid in enumerate(ids):
            d = dec[i]
            out.append(
                Prediction(
                    id=rid,
                    topics=[t for t, x in zip(topics, d) if x],
                    stance={t: stances[b] for t, x, b in zip(topics, d, best[i]) if x},
                    scores=dict(zip(topics, tp[i])),
                    stance_scores={t: dict(zip(stances, row)) for t, row in zip(topics, sp[i])},
                    other=not any(d),
                    extra=dict(extras[i]) if extras else {},
                    _explain=(self, texts[i]),
                )
            )
        return out

    def predict(self, texts: Iterable[str] | str, ids: Iterable[Any] | None = None) -> list[Prediction]:
        """Classify paragraphs.

        Parameters
        ----------
        texts : str or iterable of str
            Paragraphs (a single string is one paragraph).
        ids : iterable, optional
            One id per paragraph; default 1-based positions.

        Returns
        -------
        list of Prediction
            One per paragraph, in input order.

        Examples
        --------
        >>> import stancecls
        >>> model = stancecls.load()
        >>> p = model.predict(["Korea Selatan mengirimkan bantuan kemanusiaan ke Ukraina."])[0]
        >>> p.topics
        ['ukraine_aid']
        """
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        ids = [str(i) for i in ids] if ids is not None else [str(i + 1) for i in range(len(texts))]
        if len(ids) != len(texts):
            raise ValueError(f"got {len(ids)} ids for {len(texts)} paragraphs")
        return self._predictions(ids, texts) if texts else []

    def predict_records(self, records: Iterable, batch_size: int = 512) -> Iterator[Prediction]:
        """Stream predictions for ``(id, text, extra)`` records, batch by batch, in order."""
        batch: list = []
        for rec in records:
            batch.append(rec)
            if len(batch) >= batch_size:
                yield from self._predictions([r[0] for r in batch], [r[1] for r in batch], [r[2] for r in batch])
                batch = []
        if batch:
            yield from self._predictions([r[0] for r in batch], [r[1] for r in batch], [r[2] for r in batch])

    def save(self, path: str | Path) -> Path:
        """Save to the folder ``path`` (joblib file + ``manifest.json``); returns the manifest path.

        Loading the joblib file later runs code: share model files only with
        people who trust you, and load only files you trust.
        """
        from .persist import save_model

        extra = {k: v for k, v in self.manifest.items() if k in ("schema", "training_data", "tuning", "metrics")}
        extra["schema"] = self.schema.to_dict()
        extra["params"] = _jsonable(self.estimator.get_params())
        return save_model(self.estimator, path, manifest_extra=extra)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def train(
    data: str | Path | Sequence[str | Path] = "data/labels",
    *,
    seed: int = 0,
    cv: int = 5,
    tune: bool = True,
    tune_configs: int = 6,
    tune_seconds: float | None = None,
    threshold_floor: float = 0.5,
    schema: LabelSchema | None = None,
    dataset: dict | None = None,
    background: str | Path | None = None,
    background_n: int = 5000,
    background_article: bool = False,
    progress=None,
    **params,
) -> Model:
    """Train a model on labelled data: tune, measure by grouped cross-validation, fit on everything.

    Parameters
    ----------
    data : path or list of paths, default="data/labels"
        Label files or folders (with a ``schema.json``), or another labelled
        dataset described by ``dataset``.
    seed : int, default=0
        Seed of the search and of the cross-validation folds. Fitting itself is
        deterministic, so the same data and seed give the same model.
    cv : int, default=5
        Folds of the grouped (by ``doc``) cross-validation report; 0 skips it.
    tune : bool, default=True
        Search hyper-parameters and per-topic thresholds first (see
        :mod:`stancecls.tune`); explicit ``params`` are kept out of the search.
    tune_configs : int, default=6
        Feature settings tried by the search.
    tune_seconds : float, optional
        Stop the search early after this long.
    threshold_floor : float, default=0.5
        The search picks each topic's F1-best threshold on out-of-fold
        probabilities, but never below this. The labelled data holds far more
        on-topic paragraphs than news does, so F1-best thresholds there are too
        low for a news stream: on ``../shared/corpus`` they flagged about
        twice as many (mostly off-topic) paragraphs as a floor of 0.5
        (``benchmarks/REPORT.md``).
    schema : LabelSchema, optional
        Overrides the ``schema.json`` found beside the data.
    dataset : dict, optional
        How to read a dataset that is not in the label format:
        :func:`stancecls.datasets.load_dataset` keyword arguments.
    background : path, optional
        Unlabelled news to sample *other* paragraphs from
        (:func:`stancecls.datasets.load_background`): they take part in the
        search and in every training fold, while the cross-validated report
        scores the labelled records only.
    background_n : int, default=5000
        Background paragraphs to sample (with ``seed``).
    background_article : bool, default=False
        The background file holds articles: split them into paragraphs.
    progress : callable, optional
        ``progress(done, total, message)`` during the search.
    **params
        Parameters of :class:`~stancecls.model.StanceClassifier`.

    Returns
    -------
    Model
        ``model.manifest`` holds the chosen settings, their search scores and the
        cross-validated report (with 95% bootstrap intervals over stories).
    """
    from .datasets import load_dataset
    from .evaluate import evaluation_report, oof_predict
    from .model import StanceClassifier
    from .tune import SEARCH_SPACE
    from .tune import tune as run_tune

    schema, records = load_dataset(data, schema=schema, **(dataset or {}))
    if not records:
        raise StanceclsError("the label data holds no records", "add labelled paragraphs")
    n_labelled = len(records)
    y = labels_to_matrix(records, schema)
    _check_trainable(y, schema)
    records, y, bg_info = add_background(records, y, background, n=background_n, seed=seed, article=background_article)
    X = [r.text for r in records]
    groups = [r.doc for r in records]
    fixed = set(params)  # what the caller set explicitly is not searched
    params.setdefault("stem", schema.language == "id")
    params.setdefault("multi_label", schema.multi_label)
    estimator = StanceClassifier(topics=schema.topics, stances=schema.stances, **params)
    manifest: dict[str, Any] = {}
    if tune:
        if schema.language != "id":
            fixed.add("stem")  # stemming is Indonesian-only
        space = {k: [params[k]] if k in fixed else v for k, v in SEARCH_SPACE.items()}
        result = run_tune(estimator, X, y, groups, n_feature_configs=tune_configs, space=space, seed=seed,
                          max_seconds=tune_seconds, progress=progress, threshold_floor=threshold_floor)
        estimator.set_params(**result.params, threshold=result.thresholds)
        manifest["tuning"] = result.to_dict()
    metrics: dict[str, Any] = {}
    if cv:
        topic_p, stance_p, topic_pred, n_splits = oof_predict(estimator, X, y, groups, n_splits=cv, seed=seed)
        stances = np.asarray(schema.stances, dtype=object)
        k = n_labelled  # background paragraphs train in every fold but are not scored: they carry no labels
        report = evaluation_report(y[:k], topic_pred[:k], stances[stance_p[:k].argmax(axis=2)], schema.topics,
                                   schema.stances, topic_proba=topic_p[:k], groups=groups[:k], seed=seed)
        report["n_splits"] = n_splits
        report["seed"] = seed
        metrics["cv"] = report
    estimator.fit(X, y)
    manifest.update({
        "schema": schema.to_dict(),
        "training_data": {
            "sha256": data_sha256(records[:n_labelled]),
            "n_records": n_labelled,
            "n_docs": len(set(groups[:n_labelled])),
            "files": sorted({Path(r.path).name for r in records[:n_labelled]}),
            "seed": seed,
            **({"background": bg_info} if bg_info else {}),
        },
        "metrics": metrics,
    })
    return Model(estimator, schema, manifest)


def add_background(records: list[LabelRecord], y: np.ndarray, background, *, n: int = 5000, seed: int = 0,
                   article: bool = False) -> tuple[list[LabelRecord], np.ndarray, dict | None]:
    """Labelled records and their label matrix followed by sampled background paragraphs labelled *other*.

    Background paragraphs whose text is already labelled are left out. Returns
    ``(records, y, info)``; ``info`` (file, count, sha256) is ``None`` without a
    background. The labelled records stay first, so ``records[:len_before]``
    are the ones to score.
    """
    if background is None:
        return list(records), y, None
    from .datasets import load_background

    labelled = {text_key(r.text) for r in records}
    bg = [r for r in load_background(background, n=n, seed=seed, article=article) if text_key(r.text) not in labelled]
    info = {"file": Path(background).name, "n_records": len(bg), "sha256": data_sha256(bg), "article": article,
            "requested": n, "seed": seed}
    y = np.vstack([y, np.full((len(bg), y.shape[1]), ABSENT, dtype=object)])
    return list(records) + bg, y, info


def _check_trainable(y: np.ndarray, schema: LabelSchema) -> None:
    present = y != ""
    if not present.any():
        raise StanceclsError(
            "no record in the data has a topic, so there is nothing to learn",
            f"label some paragraphs with one of the topics {', '.join(schema.topics)}",
        )
    if present.all():
        raise StanceclsError(
            "every record has every topic, so topic presence cannot be learned",
            "add records without some of the topics (e.g. 'other' paragraphs)",
        )


def bundled_model_path() -> Path:
    """Folder of the model that ships with stancecls."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_bundled", here.parents[1] / "models" / "default"):
        if (candidate / "manifest.json").exists():
            return candidate
    raise ModelFileError(
        "the bundled model is not installed",
        "reinstall stancecls (pip install .) or pass a model folder with --model",
    )


ENGINES = ("auto", "bundle", "sklearn")


def load(path: str | Path | None = None, *, engine: str = "auto", trust: bool = False) -> Model:
    """Load a saved model; with no path, the bundled one.

    Parameters
    ----------
    path : str or Path, optional
        A folder written by :meth:`Model.save` or ``stancecls train``, or its
        ``manifest.json``.
    engine : {"auto", "bundle", "sklearn"}, default="auto"
        ``"bundle"`` predicts with the pickle-free compiled bundle (NumPy
        only, no code from the file runs); ``"sklearn"`` unpickles the joblib
        pipeline. ``"auto"`` takes the bundle when the model has one.
    trust : bool, default=False
        Allow unpickling a joblib file that was not saved on this machine
        (see :func:`stancecls.persist.load_model`).

    .. warning:: With ``engine="sklearn"`` (or an old model without a bundle)
       the joblib file is unpickled, which can run code: load only files you
       trust.
    """
    from .persist import has_bundle, load_bundle, load_model, read_manifest

    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}")
    path = bundled_model_path() if path is None else Path(path)
    folder, manifest = read_manifest(path)
    if engine == "bundle" or (engine == "auto" and has_bundle(manifest)):
        predictor, manifest = load_bundle(folder)
        schema = LabelSchema.from_dict(manifest.get("schema", {"topics": list(predictor.topics_)}))
        return Model(None, schema, manifest, predictor=predictor, source=folder, trust=trust)
    estimator, manifest = load_model(folder, trust=trust)
    schema = LabelSchema.from_dict(manifest.get("schema", {"topics": list(estimator.topics_)}))
    return Model(estimator, schema, manifest, source=folder, trust=trust)
