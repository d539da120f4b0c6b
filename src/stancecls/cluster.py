"""The cluster engine: predict over inputs too big for one machine, on a Dask cluster.

:func:`predict_cluster` cuts the inputs (files or globs of JSON Lines, text,
CSV or TSV) into partitions, sends the model's pickle-free bundle to every
worker once, and has each worker write the predictions of its partitions to
``<out>/part-NNNNN.<ext>``; the driver then writes ``<out>/manifest.json``
with the count of every partition. Workers read the inputs and write the
outputs themselves, so on a real cluster both paths must be on storage every
worker sees (a shared or network file system).

JSON Lines and text files are cut into byte ranges of ``partition_bytes``
(a line belongs to the range its first byte is in); a first pass counts the
lines of every range, so error messages name the real line and default ids
are those of reading the file whole. CSV and TSV files are one partition
each, since a quoted field may span lines.

Requires ``dask[distributed]`` (``pip install "stancecls[cluster]"``).
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import time
from pathlib import Path
from typing import Any, Sequence

from .errors import InputError, StanceclsError

__all__ = ["predict_cluster", "plan_partitions"]

_EXT = {"jsonl": "jsonl", "csv": "csv", "table": "txt"}
_WORKER_MODELS: dict[str, Any] = {}  # per worker process: bundle sha256 -> loaded predictor


def _expand(inputs: str | Sequence[str]) -> list[str]:
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    files: list[str] = []
    for item in map(str, items):
        matched = sorted(glob.glob(item)) if glob.has_magic(item) else [item]
        if not matched:
            raise InputError(f"no input file matches {item}", "check the path or the glob pattern")
        for f in matched:
            if Path(f).is_dir():
                raise InputError(f"{f} is a folder, not a file", "give files or a glob of files")
            if not Path(f).exists():
                raise InputError(f"input file {f} does not exist", "check the path given to --input")
            files.append(f)
    return files


def plan_partitions(files: Sequence[str], fmt: str = "auto", partition_bytes: int = 64 << 20,
                    article: bool = False) -> list[dict[str, Any]]:
    """The partitions of the inputs: ``{"file", "format", "start", "end"}`` (``end`` None: to the end)."""
    from .io import detect_format

    if partition_bytes < 1:
        raise InputError(f"partition size {partition_bytes} is not positive", "give a size of at least 1 byte")
    parts = []
    for f in files:
        kind = detect_format(f) if fmt == "auto" else fmt
        size = os.path.getsize(f)
        if kind in ("csv", "tsv") or (kind == "text" and article) or size == 0:
            parts.append({"file": f, "format": kind, "start": 0, "end": None})
            continue
        for start in range(0, size, partition_bytes):
            parts.append({"file": f, "format": kind, "start": start, "end": min(start + partition_bytes, size)})
    return parts


def _count(part: dict) -> tuple[int, int]:
    from .io import count_partition

    if part["end"] is None:
        return 0, 0
    return count_partition(part["file"], part["start"], part["end"])


def _worker_model(bundle: bytes, sha: str, manifest: dict):
    model = _WORKER_MODELS.get(sha)
    if model is None:
        from .api import Model
        from .bundle import read_bundle
        from .schema import LabelSchema

        predictor = read_bundle(io.BytesIO(bundle))
        schema = LabelSchema.from_dict(manifest.get("schema", {"topics": list(predictor.topics_)}))
        model = _WORKER_MODELS[sha] = Model(None, schema, manifest, predictor=predictor)
    return model


def _run_partition(part: dict, index: int, bundle: bytes, sha: str, manifest: dict, out_dir: str, fmt: str,
                   options: dict) -> dict:
    """Predict one partition on a worker and write its output file atomically."""
    from .io import header_line, paragraph_records, read_partition, read_records
    from .parallel import formatted_batches
    from .persist import atomic_write_bytes

    t = time.perf_counter()
    model = _worker_model(bundle, sha, manifest)
    article = options["article"]
    try:
        if part["end"] is None:
            records = read_records(part["file"], part["format"], text_field=options["text_field"],
                                   id_field=options["id_field"], article=article, on_error=options["on_error"])
        else:
            records = read_partition(part["file"], part["start"], part["end"], fmt=part["format"],
                                     first_line=part["first_line"], first_position=part["first_position"],
                                     text_field=options["text_field"], id_field=options["id_field"],
                                     on_error=options["on_error"])
        n_in = 0

        def counted():
            nonlocal n_in
            for rec in records:
                n_in += 1
                yield rec

        chunks, n_out = [header_line(fmt, model.topics)], 0
        for count, text in formatted_batches(model, paragraph_records(counted(), article), fmt=fmt,
                                             batch_size=options["batch_size"]):
            chunks.append(text)
            n_out += count
    except StanceclsError as exc:  # sent back as data: the driver raises it with the same message
        return {"index": index, "error": exc.message, "hint": exc.hint}
    name = f"part-{index:05d}.{_EXT[fmt]}"
    atomic_write_bytes(Path(out_dir) / name, "".join(chunks).encode("utf-8"))
    return {"index": index, "file": part["file"], "start": part["start"], "end": part["end"], "output": name,
            "records": n_in, "predictions": n_out, "seconds": round(time.perf_counter() - t, 3)}


def predict_cluster(
    inputs: str | Sequence[str],
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    client=None,
    model: str | Path | None = None,
    input_format: str = "auto",
    text_field: str = "text",
    id_field: str = "id",
    article: bool = False,
    fmt: str = "jsonl",
    partition_bytes: int = 64 << 20,
    batch_size: int = 512,
    n_workers: int = 2,
    on_error: str = "fail",
) -> dict[str, Any]:
    """Predict files on a Dask cluster, one output file per partition plus a manifest of counts.

    Parameters
    ----------
    inputs : str or list of str
        Files or glob patterns.
    out_dir : str or Path
        Folder for ``part-NNNNN.*`` and ``manifest.json`` (created).
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). With neither
        ``scheduler`` nor ``client``, a local cluster of ``n_workers``
        processes is started for the call.
    client : distributed.Client, optional
        An existing client.
    model : str or Path, optional
        Model folder; default the bundled model. Its bundle is what workers get.
    input_format, text_field, id_field, article
        As for ``stancecls predict``.
    fmt : {"jsonl", "csv", "table"}, default="jsonl"
    partition_bytes : int, default=64 MiB
    batch_size : int, default=512
    n_workers : int, default=2
        Workers of the local cluster (only without ``scheduler``/``client``).
    on_error : {"fail", "skip"}, default="fail"
        ``skip``: unreadable records get error records in their place.

    Returns
    -------
    dict
        The manifest: inputs, model, partitions with their counts, totals.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise StanceclsError("the cluster engine needs Dask", 'install it with pip install "stancecls[cluster]"') from exc
    from .api import bundled_model_path
    from .persist import atomic_write_bytes, has_bundle, read_manifest, _checked_file

    folder, manifest = read_manifest(bundled_model_path() if model is None else model)
    if not has_bundle(manifest):
        raise StanceclsError(f"the model in {folder} has no pickle-free bundle", "retrain it with 'stancecls train'")
    bundle = _checked_file(folder, manifest, "bundle").read_bytes()
    sha = hashlib.sha256(bundle).hexdigest()
    files = _expand(inputs)
    parts = plan_partitions(files, input_format, partition_bytes, article)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*"):
        old.unlink()
    cluster = None
    if client is None:
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        own_client = True
    else:
        own_client = False
    t = time.perf_counter()
    try:
        # pass 1: lines per byte range, for real line numbers and whole-file default ids
        counts = client.gather(client.map(_count, parts, pure=False))
        line, position, previous = 1, 0, None
        for part, (n_lines, n_nonblank) in zip(parts, counts):
            if part["file"] != previous:
                line, position, previous = 1, 0, part["file"]
            part["first_line"], part["first_position"] = line, position
            line += n_lines
            position += n_nonblank
        # the bundle goes to every worker once; tasks refer to it
        [bundle_future] = client.scatter([bundle], broadcast=True)
        options = {"text_field": text_field, "id_field": id_field, "article": article, "batch_size": batch_size,
                   "on_error": on_error}
        small_manifest = {k: manifest[k] for k in ("schema", "format_version") if k in manifest}
        futures = [client.submit(_run_partition, p, i, bundle_future, sha, small_manifest, str(out.resolve()), fmt,
                                 options, pure=False) for i, p in enumerate(parts)]
        results = client.gather(futures)
    finally:
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()
    errors = [r for r in results if "error" in r]
    if errors:
        first = errors[0]
        raise InputError(first["error"], first["hint"])
    result = {
        "format": "stancecls-predictions",
        "model": {"path": str(folder), "bundle_sha256": sha},
        "inputs": files,
        "output_format": fmt,
        "partitions": results,
        "records": sum(r["records"] for r in results),
        "predictions": sum(r["predictions"] for r in results),
        "seconds": round(time.perf_counter() - t, 3),
    }
    atomic_write_bytes(out / "manifest.json", (json.dumps(result, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return result
