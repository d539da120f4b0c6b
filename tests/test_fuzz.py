"""Property-based fuzzing: whatever the input, only the package's own errors come out.

The long run (100,000+ cases) is ``python benchmarks/fuzz.py``; these properties run in the test suite.
"""

from __future__ import annotations

import io
import json
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stancecls
from stancecls.bundle import read_bundle
from stancecls.errors import InputError, ModelFileError
from stancecls.io import read_records
from stancecls.preprocess import Preprocessor, normalize, tokenize
from stancecls.segment import segment

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=400) | st.text(alphabet="aAkr -\n\t\x00\x01.,:;\"'@/0123456789", max_size=200)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(TEXT)
def test_segment_and_preprocess_never_fail(text):
    for p in segment(text):
        assert p.text.strip() and p.index >= 1
    assert isinstance(normalize(text), str)
    assert all(t for t in tokenize(normalize(text)))
    assert all(isinstance(t, str) and t for t in Preprocessor()(text))


@FUZZ
@given(st.binary(max_size=600), st.sampled_from(["jsonl", "csv", "tsv", "text", "auto"]), st.sampled_from(["fail", "skip"]))
def test_readers_raise_only_input_errors(tmp_path_factory, data, fmt, on_error):
    path = tmp_path_factory.mktemp("fuzz") / "input.jsonl"
    path.write_bytes(data)
    try:
        records = list(read_records(str(path), fmt, on_error=on_error))
    except InputError:
        return
    lines = [line for line in data.split(b"\n")]
    if on_error == "skip" and fmt in ("jsonl", "text"):
        # one record per line that is not blank: nothing lost
        nonblank = sum(1 for line in lines if line.decode("utf-8", "replace").strip())
        assert len(records) == nonblank
    for r in records:
        assert r.error or isinstance(r.text, str)


@pytest.fixture(scope="module")
def bundle_bytes_(seed_model):
    (path,) = seed_model.glob("bundle-*.npz")
    return path.read_bytes()


@FUZZ
@given(st.data())
def test_bundle_loader_refuses_damage_safely(bundle_bytes_, data):
    raw = bytearray(bundle_bytes_)
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    verify = data.draw(st.booleans())
    try:
        model = read_bundle(io.BytesIO(bytes(raw)), verify=verify)
    except ModelFileError:
        return
    # what loads must predict, and stay within [0, 1]
    topic, stance = model.predict_all(["Korea mengirim bantuan ke Ukraina.", "", "x"])
    assert topic.shape[0] == 3 and np.all((topic >= 0) & (topic <= 1) | np.isnan(topic))


@FUZZ
@given(st.data())
def test_bundle_loader_refuses_hostile_headers(bundle_bytes_, data):
    with np.load(io.BytesIO(bundle_bytes_), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(bytes(arrays["header"]))
    path = data.draw(st.sampled_from(["topics", "thresholds", "heads", "word", "char", "preprocessing", "stances"]))
    header[path] = data.draw(st.one_of(st.none(), st.integers(-5, 10**6), st.text(max_size=5),
                                       st.lists(st.integers(-3, 50), max_size=4), st.just({}), st.just([{}])))
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    if data.draw(st.booleans()):
        name = data.draw(st.sampled_from(sorted(k for k in arrays if k != "header")))
        arrays[name] = data.draw(st.sampled_from([np.zeros(0), np.zeros((2, 2)), np.arange(5), arrays[name][:1]]))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    try:
        model = read_bundle(io.BytesIO(buf.getvalue()), verify=False)
    except ModelFileError:
        return
    model.predict_all(["Korea mengirim bantuan ke Ukraina."])


def test_one_model_from_eight_threads_equals_serial():
    from test_compiled import corpus_sample

    model = stancecls.load()
    texts = corpus_sample(1600, seed=11)
    serial = [p.to_dict() for p in stancecls.load().predict(texts)]
    chunks = [texts[i::8] for i in range(8)]
    results: dict[int, list] = {}
    errors = []

    def work(i):
        try:
            out = []
            for j in range(0, len(chunks[i]), 25):
                out.extend(p.to_dict() for p in model.predict(chunks[i][j : j + 25]))
            results[i] = out
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    merged = [None] * len(texts)
    for i in range(8):
        merged[i::8] = results[i]
    for a, b in zip(merged, serial):
        a.pop("id"), b.pop("id")
        assert a == b
