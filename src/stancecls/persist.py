"""Saving and loading models: a versioned, readable manifest beside the model files.

A saved model is a folder::

    manifest.json                 format version, versions, schema, data and file sha256, metrics
    bundle-<sha256[:16]>.npz      the pickle-free inference bundle (arrays + JSON), used to predict
    model-<sha256[:16]>.joblib    the fitted StanceClassifier, for retraining and inspection

Model files are named by their content and the manifest is written last, by
an atomic rename: a crash at any moment leaves either the old manifest (whose
files are still there) or the new one, never a half-written model.

Format 1 (no bundle) is still read: such a model predicts through joblib.

.. warning::
   A joblib file is a pickle: **loading it can execute arbitrary code**. Load
   only model files you made yourself or got from someone you trust. The
   manifest's sha256 is checked before the file is unpickled, which catches
   corruption and accidental edits, not a malicious manifest. So a joblib file
   is only unpickled when it was saved on this machine (its manifest carries
   an HMAC made with a key kept in the user's config folder), when it is the
   model that ships with the package, or when the caller says ``trust=True``
   (``--trust``). The bundle runs no code when loaded (:mod:`stancecls.bundle`),
   which is why prediction uses it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import platform
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import ModelFileError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "ModelVersionWarning",
    "save_model",
    "load_model",
    "load_bundle",
    "has_bundle",
    "read_manifest",
    "sha256_file",
    "atomic_write_bytes",
    "signing_key_path",
    "migrate",
]

FORMAT = "stancecls-model"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
JOBLIB_WARNING = (
    "The model file is a joblib pickle: loading it can execute arbitrary code. "
    "Load only model files you trust."
)


KEY_ENV = "STANCECLS_KEY_FILE"


def signing_key_path() -> Path:
    """Where this user's signing key lives (``$STANCECLS_KEY_FILE``, else the user config folder)."""
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "stancecls" / "signing.key"


def _signing_key(create: bool) -> bytes | None:
    path = signing_key_path()
    try:
        key = path.read_bytes()
        return key if len(key) >= 32 else None
    except FileNotFoundError:
        if not create:
            return None
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32))
        return path.read_bytes()
    except FileExistsError:
        return path.read_bytes()
    except OSError:  # a read-only home: models are saved unsigned and need trust=True to unpickle
        return None


def _signature(data_sha256: str, key: bytes) -> str:
    return hmac.new(key, data_sha256.encode("ascii"), hashlib.sha256).hexdigest()


class ModelVersionWarning(UserWarning):
    """The model was saved with another scikit-learn version than the one loading it."""


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; give the file the permissions a plain open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _versions() -> dict[str, str]:
    import joblib
    import numpy
    import scipy
    import sklearn

    from . import __version__

    return {
        "stancecls": __version__,
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
        "python": platform.python_version(),
    }


def _drop_memory_addresses(estimator) -> None:
    # A fitted scikit-learn vectorizer keeps id(stop_words), a memory address that differs from process to
    # process, to skip a check it has made; pickled, it would give the same model a different file (and
    # sha256) every time it is trained. Without it scikit-learn only makes the check again.
    for v in getattr(getattr(estimator, "features_", None), "vectorizers_", ()):
        vars(v).pop("_stop_words_id", None)


def save_model(estimator, path: str | Path, *, manifest_extra: dict[str, Any]) -> Path:
    """Save a fitted estimator and its manifest in the folder ``path``.

    Parameters
    ----------
    estimator : StanceClassifier
        The fitted estimator.
    path : str or Path
        Folder to write (created if needed).
    manifest_extra : dict
        Fields added to the manifest (schema, training data, metrics, params).

    Returns
    -------
    Path
        The manifest's path.
    """
    import io

    import joblib

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ModelFileError(f"{path} exists and is not a folder", "give --out a folder path")
    from .bundle import BundleUnsupported, bundle_bytes

    _drop_memory_addresses(estimator)
    buf = io.BytesIO()
    joblib.dump(estimator, buf, compress=3)
    data = buf.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    model_name = f"model-{digest[:16]}.joblib"
    versions = _versions()
    files = {"model": {"path": model_name, "sha256": digest, "bytes": len(data)}}
    key = _signing_key(create=True)
    if key is not None:
        files["model"]["hmac"] = _signature(digest, key)
    try:
        bundle = bundle_bytes(estimator, versions)
    except BundleUnsupported as exc:  # the model still works, through joblib
        bundle, files["bundle"] = None, {"unsupported": str(exc)}
    old = _previous_model_files(path)
    atomic_write_bytes(path / model_name, data)
    if bundle is not None:
        b_digest = hashlib.sha256(bundle).hexdigest()
        files["bundle"] = {"path": f"bundle-{b_digest[:16]}.npz", "sha256": b_digest, "bytes": len(bundle)}
        atomic_write_bytes(path / files["bundle"]["path"], bundle)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "warning": JOBLIB_WARNING,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": versions,
        **manifest_extra,
        "files": files,
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    atomic_write_bytes(path / MANIFEST, text.encode("utf-8"))
    keep = {f.get("path") for f in files.values()}
    for f in old:
        if f.name not in keep:
            f.unlink(missing_ok=True)
    for f in path.glob(".*.tmp"):  # left by a save that was killed (SIGKILL cannot clean up after itself)
        f.unlink(missing_ok=True)
    return path / MANIFEST


def _previous_model_files(path: Path) -> list[Path]:
    if not path.is_dir():
        return []
    return sorted([*path.glob("model-*.joblib"), *path.glob("bundle-*.npz")])


def _checked_file(folder: Path, manifest: dict, key: str) -> Path:
    entry = manifest.get("files", {}).get(key, {})
    name = entry.get("path", "") if isinstance(entry, dict) else ""
    if not isinstance(name, str) or not name or Path(name).name != name:
        raise ModelFileError(f"the manifest in {folder} names no valid {key} file", "retrain the model")
    file = folder / name
    if not file.exists():
        raise ModelFileError(f"{key} file {file} is missing", "retrain the model with 'stancecls train'")
    if sha256_file(file) != entry.get("sha256"):
        raise ModelFileError(
            f"sha256 of {file} does not match its manifest (file changed or corrupted)",
            "retrain the model with 'stancecls train' or restore the original file",
        )
    return file


def has_bundle(manifest: dict) -> bool:
    """Whether a manifest lists a pickle-free bundle."""
    entry = manifest.get("files", {}).get("bundle")
    return isinstance(entry, dict) and "path" in entry


def load_bundle(path: str | Path):
    """Load the pickle-free bundle of a saved model (no code from the files runs).

    Returns
    -------
    predictor : CompiledModel
    manifest : dict
    """
    from .bundle import read_bundle

    folder, manifest = read_manifest(path)
    if not has_bundle(manifest):
        raise ModelFileError(
            f"the model in {folder} has no pickle-free bundle (format {manifest.get('format_version')})",
            f"add one with 'stancecls migrate {folder}' (it unpickles the joblib file: add --trust if it was not "
            "saved on this machine and you trust it), or retrain it with 'stancecls train'",
        )
    # the file's sha256 was just checked against the manifest: skip re-hashing every array
    return read_bundle(_checked_file(folder, manifest, "bundle"), verify=False), manifest


def read_manifest(path: str | Path) -> tuple[Path, dict[str, Any]]:
    """Read and check a model's manifest.

    Parameters
    ----------
    path : str or Path
        The model folder or its ``manifest.json``.

    Returns
    -------
    folder : Path
    manifest : dict
    """
    path = Path(path)
    manifest_path = path / MANIFEST if path.is_dir() else path
    folder = manifest_path.parent
    if not manifest_path.exists():
        raise ModelFileError(
            f"no model at {path} (no {MANIFEST})", "give --model the folder written by 'stancecls train --out'"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(
            f"cannot read the model manifest {manifest_path}: {exc}", "retrain the model with 'stancecls train'"
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(
            f"{manifest_path} is not a stancecls model manifest", "give --model a folder written by 'stancecls train'"
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{manifest_path} has an invalid format_version {version!r}", "retrain the model")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{manifest_path} uses model format {version}, newer than this stancecls reads ({FORMAT_VERSION})",
            "upgrade stancecls (pip install -U stancecls) or retrain the model with this version",
        )
    return folder, manifest


def _is_bundled(folder: Path) -> bool:
    from .api import bundled_model_path

    try:
        return folder.resolve() == bundled_model_path().resolve()
    except ModelFileError:
        return False


def load_model(path: str | Path, *, trust: bool = False):
    """Load the estimator of a saved model after checking its manifest, sha256 and origin.

    Parameters
    ----------
    path : str or Path
        The model folder or its manifest.
    trust : bool, default=False
        Unpickle the joblib file even though it was not saved on this machine.
        Unpickling runs code: say ``True`` only for files from a source you trust.

    Returns
    -------
    estimator : StanceClassifier
    manifest : dict

    Raises
    ------
    ModelFileError
        Missing, damaged or tampered files, or a joblib file from elsewhere without ``trust``.

    Warns
    -----
    ModelVersionWarning
        When the model was saved with another scikit-learn version.
    """
    folder, manifest = read_manifest(path)
    model_path = _checked_file(folder, manifest, "model")
    if not trust and not _is_bundled(folder):
        key = _signing_key(create=False)
        tag = manifest.get("files", {}).get("model", {}).get("hmac")
        expected = _signature(manifest["files"]["model"]["sha256"], key) if key else None
        if not (isinstance(tag, str) and expected and hmac.compare_digest(tag, expected)):
            raise ModelFileError(
                f"{model_path} was not saved on this machine (no valid signature), and unpickling a joblib file "
                "can run any code",
                "pass --trust (trust=True) only if you trust where it came from, or predict with its pickle-free bundle",
            )
    import joblib
    import sklearn

    saved = manifest.get("versions", {}).get("scikit-learn")
    if saved != sklearn.__version__:
        warnings.warn(
            f"model saved with scikit-learn {saved}, loading with {sklearn.__version__}; predictions may differ",
            ModelVersionWarning,
            stacklevel=2,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the version check above says it once, in our words
        estimator = joblib.load(model_path)
    return estimator, manifest


def migrate(path: str | Path, *, trust: bool = False) -> Path:
    """Bring a model saved in an older format up to this one (adds the pickle-free bundle and a signature).

    The joblib file is unpickled to do it, so the model must have been saved on
    this machine or ``trust`` must be given. Returns the manifest's path.
    """
    folder, manifest = read_manifest(path)
    if manifest.get("format_version") == FORMAT_VERSION and has_bundle(manifest):
        return folder / MANIFEST
    estimator, manifest = load_model(folder, trust=trust)
    keep = {k: v for k, v in manifest.items() if k in ("schema", "training_data", "tuning", "metrics", "params")}
    keep["migrated_from"] = {"format_version": manifest.get("format_version"), "created": manifest.get("created")}
    return save_model(estimator, folder, manifest_extra=keep)
