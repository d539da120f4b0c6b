"""The pickle-free inference bundle: a fitted model as arrays and JSON.

A bundle is one ``.npz`` file (uncompressed, read with ``allow_pickle=False``)
holding:

``header``
    UTF-8 JSON: format and version, topics, stances, thresholds, preprocessing
    settings, the n-gram settings of both TF-IDF blocks, how every output
    turns scores into probabilities (``heads``), the versions it was made
    with, and the sha256 of every array.
``word_tokens``, ``word_keys``, ``word_values``, ``word_idf``
    The word vocabulary: its tokens (newline-separated UTF-8); a hash table
    from each n-gram, as an integer code over token ids, to its column; and
    the idf weights.
``char_alphabet``, ``char_keys``, ``char_values``, ``char_idf``
    The same for character n-grams, over the code points of the alphabet.
``weights``, ``intercepts``
    One column per output (topic scores, then the stance scores toward each
    topic); the pooled stance classifier's shared and per-topic blocks are
    added up at export, so scoring is one sparse-dense product.

Loading runs no code from the file: it is parsed as arrays and JSON and
checked (format, version, shapes, sha256) before use, so a bundle from an
untrusted source is safe to load. :func:`export_arrays` needs a fitted
:class:`~stancecls.model.StanceClassifier`; :func:`read_bundle` needs NumPy only.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .compiled import CodeTable, CompiledModel
from .errors import ModelFileError

__all__ = ["BUNDLE_FORMAT", "BUNDLE_VERSION", "BundleUnsupported", "export_arrays", "bundle_bytes", "read_bundle",
           "compile_estimator"]

BUNDLE_FORMAT = "stancecls-bundle"
BUNDLE_VERSION = 1
_MAX_CODE = 2**63 - 1


class BundleUnsupported(ValueError):
    """The fitted model uses a setting the compiled predictor does not reproduce."""


def _fold(digits: list[int], base: int) -> int:
    code = 0
    for d in digits:
        code = code * base + d
    return code


def _table(prefix: str, codes: np.ndarray) -> dict[str, np.ndarray]:
    keys, values = CodeTable(codes, np.arange(len(codes), dtype=np.int64)).arrays()
    return {f"{prefix}_keys": keys, f"{prefix}_values": values}


def _word_block(vec) -> tuple[dict, dict]:
    vocab = vec.vocabulary_
    tokens = sorted({t for gram in vocab for t in gram.split(" ")})
    if any("\n" in t or not t for t in tokens):
        raise BundleUnsupported("a word token holds a newline or is empty")
    index = {t: i + 1 for i, t in enumerate(tokens)}
    base = len(tokens) + 3  # digits 1..V, V+1 unknown, V+2 paragraph separator
    lo, hi = vec.ngram_range
    if base**hi > _MAX_CODE:
        raise BundleUnsupported(f"{len(tokens)} tokens and {hi}-grams do not fit 64-bit codes")
    grams = sorted(vocab, key=vocab.get)
    codes = np.array([_fold([index[t] for t in g.split(" ")], base) for g in grams], dtype=np.int64)
    arrays = {
        "word_tokens": np.frombuffer("\n".join(tokens).encode("utf-8"), dtype=np.uint8),
        **_table("word", codes),
        "word_idf": np.asarray(vec.idf_, dtype=np.float64),
    }
    spec = {"ngram_range": [lo, hi], "sublinear_tf": bool(vec.sublinear_tf), "base": base, "n_features": len(grams)}
    return arrays, spec


def _char_block(vec) -> tuple[dict, dict]:
    vocab = vec.vocabulary_
    lo, hi = vec.ngram_range
    if vec.analyzer != "char_wb":
        raise BundleUnsupported(f"character analyzer {vec.analyzer!r}")
    grams = sorted(vocab, key=vocab.get)
    for g in grams:
        # the compiled lookup relies on char_wb n-grams having spaces only at their ends
        if len(g) < lo or " " in g[1:-1]:
            raise BundleUnsupported(f"character n-gram {g!r} is not one the compiled predictor looks up")
    alphabet = sorted({ord(c) for g in grams for c in g})
    index = {c: i + 1 for i, c in enumerate(alphabet)}
    base = len(alphabet) + 2
    if base**hi > _MAX_CODE:
        raise BundleUnsupported(f"{len(alphabet)} characters and {hi}-grams do not fit 64-bit codes")
    codes = np.array([_fold([index[ord(c)] for c in g], base) for g in grams], dtype=np.int64)
    arrays = {
        "char_alphabet": np.asarray(alphabet, dtype=np.int64),
        **_table("char", codes),
        "char_idf": np.asarray(vec.idf_, dtype=np.float64),
    }
    spec = {"ngram_range": [lo, hi], "sublinear_tf": bool(vec.sublinear_tf), "base": base, "n_features": len(grams)}
    return arrays, spec


def _check_vectorizer(vec) -> None:
    if vec.norm != "l2" or not vec.use_idf or not vec.smooth_idf or vec.lowercase or vec.binary:
        raise BundleUnsupported("TF-IDF settings other than the package's")


def _topic_heads(est, n_features: int, k: int):
    """Columns and links of the topic outputs."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.dummy import DummyClassifier

    topics = list(est.topics_)
    cols, intercepts, heads, cal = [], [], [], {}
    if not est.multi_label:
        (lr,) = est.topic_estimators_
        targets = [topics.index(c) for c in lr.classes_]
        coef = lr.coef_
        link = "softmax" if coef.shape[0] > 1 else "logistic"
        heads.append({"part": "topic", "link": link, "n": coef.shape[0], "targets": targets})
        cols.extend(coef)
        intercepts.extend(lr.intercept_)
        return cols, intercepts, heads, cal
    for j, e in enumerate(est.topic_estimators_):
        classes = [bool(c) for c in e.classes_]
        if isinstance(e, DummyClassifier):
            p_true = float(e.class_prior_[classes.index(True)]) if True in classes else 0.0
            heads.append({"part": "topic", "link": "constant", "n": 0, "proba": [p_true], "targets": [j]})
            continue
        if isinstance(e, CalibratedClassifierCV):
            if len(e.calibrated_classifiers_) != 1:
                raise BundleUnsupported("ensembles of calibrated classifiers")
            cc = e.calibrated_classifiers_[0]
            lr, (calibrator,) = cc.estimator, cc.calibrators
            cols.append(lr.coef_[0])
            intercepts.append(lr.intercept_[0])
            if est.calibration == "sigmoid":
                heads.append({"part": "topic", "link": "sigmoid", "n": 1, "a": float(calibrator.a_),
                              "b": float(calibrator.b_), "targets": [j], "name": f"topic{j}"})
            else:
                name = f"topic{j}"
                cal[f"cal_{name}_x"] = np.asarray(calibrator.X_thresholds_, dtype=np.float64)
                cal[f"cal_{name}_y"] = np.asarray(calibrator.y_thresholds_, dtype=np.float64)
                heads.append({"part": "topic", "link": "isotonic", "n": 1, "targets": [j], "name": name})
            continue
        # a plain binary logistic regression: report the probability of True
        cols.append(e.coef_[0])
        intercepts.append(e.intercept_[0])
        heads.append({"part": "topic", "link": "logistic", "n": 1, "targets": [-1 if not c else j for c in classes]})
    return cols, intercepts, heads, cal


def _stance_heads(est, n_features: int):
    from sklearn.dummy import DummyClassifier

    stances = list(est.stances_)
    k = len(est.topics_)
    cols, intercepts, heads = [], [], []
    for j in range(k):
        own = est.stance_topic_estimators_[j]
        e = own if own is not None else est.stance_estimator_
        targets = [stances.index(c) for c in e.classes_]
        if isinstance(e, DummyClassifier):
            heads.append({"part": "stance", "topic": j, "link": "constant", "n": 0,
                          "proba": [float(p) for p in e.class_prior_], "targets": targets})
            continue
        coef, b = e.coef_, e.intercept_
        if own is not None:
            w, b_eff = coef, b
        elif est.stance_mode == "shared":
            w, b_eff = coef[:, :n_features], b + coef[:, n_features + j]
        else:  # pooled: shared block + this topic's block + its indicator
            w = coef[:, :n_features] + coef[:, n_features * (1 + j) : n_features * (2 + j)]
            b_eff = b + coef[:, n_features * (k + 1) + j]
        if coef.shape[0] == 1:
            heads.append({"part": "stance", "topic": j, "link": "logistic", "n": 1, "targets": targets})
        else:
            heads.append({"part": "stance", "topic": j, "link": "softmax", "n": coef.shape[0], "targets": targets})
        cols.extend(np.asarray(w))
        intercepts.extend(np.asarray(b_eff))
    return cols, intercepts, heads


def export_arrays(estimator) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and arrays of a fitted :class:`~stancecls.model.StanceClassifier`.

    Raises
    ------
    BundleUnsupported
        When the model uses settings the compiled predictor cannot reproduce
        exactly (then only the joblib file is saved).
    """
    feats = estimator.features_
    vecs = feats.vectorizers_
    for v in vecs:
        _check_vectorizer(v)
    word_arrays, word_spec = _word_block(vecs[0])
    word_spec["offset"] = 0
    arrays = dict(word_arrays)
    char_spec = None
    if len(vecs) > 1:
        char_arrays, char_spec = _char_block(vecs[1])
        char_spec["offset"] = word_spec["n_features"]
        arrays.update(char_arrays)
    n_features = word_spec["n_features"] + (char_spec["n_features"] if char_spec else 0)
    t_cols, t_b, t_heads, cal = _topic_heads(estimator, n_features, len(estimator.topics_))
    s_cols, s_b, s_heads = _stance_heads(estimator, n_features)
    heads, start = [], 0
    for h in t_heads + s_heads:
        n = h.pop("n")
        heads.append({**h, "columns": [start, start + n]})
        start += n
    cols = t_cols + s_cols
    arrays["weights"] = (np.stack(cols, axis=1) if cols else np.zeros((n_features, 0))).astype(np.float64)
    arrays["intercepts"] = np.asarray(t_b + s_b, dtype=np.float64)
    arrays.update(cal)
    header = {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_VERSION,
        "topics": [str(t) for t in estimator.topics_],
        "stances": [str(s) for s in estimator.stances_],
        "thresholds": [float(t) for t in estimator.thresholds_],
        "multi_label": bool(estimator.multi_label),
        "preprocessing": {
            "stem": bool(feats.stem),
            "stopwords": bool(feats.stopwords),
            "protected_words": None if feats.protected_words is None else sorted(feats.protected_words),
        },
        "word": word_spec,
        "char": char_spec,
        "heads": heads,
    }
    return header, arrays


def _array_digest(arrays: dict[str, np.ndarray]) -> dict[str, str]:
    return {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest() for k, v in sorted(arrays.items())}


def bundle_bytes(estimator, versions: dict[str, str] | None = None) -> bytes:
    """The ``.npz`` bytes of a fitted estimator's bundle (deterministic for a given model)."""
    header, arrays = export_arrays(estimator)
    header["versions"] = dict(versions or {})
    header["sha256"] = _array_digest(arrays)
    buf = io.BytesIO()
    # A fixed timestamp on every member keeps the bytes (and so the file's sha256) reproducible.
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        members = {"header": np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8), **arrays}
        for name, arr in members.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(2020, 1, 1, 0, 0, 0))
            with zf.open(info, "w") as fh:
                np.lib.format.write_array(fh, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def _fail(path, what: str) -> ModelFileError:
    return ModelFileError(f"{path} is not a valid stancecls bundle: {what}", "retrain the model with 'stancecls train'")


def read_bundle(path: str | Path, *, verify: bool = True) -> CompiledModel:
    """Load a bundle without running any code from it.

    Parameters
    ----------
    path : str, Path or binary file object
        The ``.npz`` file.
    verify : bool, default=True
        Check every array's sha256 against the header.

    Raises
    ------
    ModelFileError
        When the file is missing, not a bundle, from a newer format, or damaged.
    """
    if isinstance(path, (str, Path)):
        path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = set(npz.files)
            if "header" not in names:
                raise _fail(path, "no header")
            header = json.loads(bytes(npz["header"]).decode("utf-8"))
            arrays = {k: npz[k] for k in names if k != "header"}
    except ModelFileError:
        raise
    except FileNotFoundError as exc:
        raise ModelFileError(f"bundle {path} is missing", "retrain the model with 'stancecls train'") from exc
    except Exception as exc:  # noqa: BLE001 - any failure to parse an untrusted file means "not a bundle"
        # np.load raises ValueError for object arrays (allow_pickle=False), SyntaxError or TokenError for a
        # damaged .npy header, BadZipFile, EOFError, MemoryError for absurd shapes...
        raise _fail(path, f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != BUNDLE_FORMAT:
        raise _fail(path, "wrong format")
    version = header.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise _fail(path, f"invalid format_version {version!r}")
    if version > BUNDLE_VERSION:
        raise ModelFileError(
            f"{path} uses bundle format {version}, newer than this stancecls reads ({BUNDLE_VERSION})",
            "upgrade stancecls (pip install -U stancecls) or retrain the model with this version",
        )
    if verify:
        expected = header.get("sha256")
        if not isinstance(expected, dict) or set(expected) != set(arrays) or _array_digest(arrays) != expected:
            raise _fail(path, "array checksums do not match the header (file changed or corrupted)")
    try:
        return CompiledModel(header, arrays)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError, UnicodeDecodeError) as exc:
        raise _fail(path, f"{type(exc).__name__}: {exc}") from exc


def compile_estimator(estimator) -> CompiledModel:
    """The compiled predictor of a fitted estimator, built in memory (for explanations of an unsaved model)."""
    return read_bundle(io.BytesIO(bundle_bytes(estimator)))
