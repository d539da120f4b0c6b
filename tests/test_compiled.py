"""The pickle-free bundle and its compiled predictor: same scores as scikit-learn, no sklearn on the predict path."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stancecls
from stancecls.bundle import BUNDLE_VERSION, bundle_bytes, read_bundle
from stancecls.errors import ModelFileError
from stancecls.schema import labels_to_matrix, load_labels
from stancecls.segment import segment

from conftest import LABELS, SHARED

CORPUS = SHARED / "corpus" / "articles.jsonl"


def corpus_sample(n: int, seed: int = 0) -> list[str]:
    """``n`` paragraphs of ../shared/corpus, a seeded sample over the whole file."""
    paras = []
    with open(CORPUS, encoding="utf-8") as fh:
        for line in fh:
            art = json.loads(line)
            paras.extend(p.text for p in segment(art["text"]))
    return random.Random(seed).sample(paras, n)


def assert_same(estimator, predictor, texts, tol=1e-9):
    t1, s1 = estimator.predict_all(texts)
    t0 = predictor.predict_proba(texts)  # topic columns alone, first: the stance sums come later, when asked for
    t2, s2 = predictor.predict_all(texts)
    assert np.array_equal(t0, t2)
    assert t1.shape == t2.shape and s1.shape == s2.shape
    assert np.abs(t1 - t2).max(initial=0) <= tol
    assert np.abs(s1 - s2).max(initial=0) <= tol
    assert np.array_equal(estimator.decide(t1), predictor.decide(t2))


@pytest.fixture(scope="module")
def bundled_pair():
    model = stancecls.load(engine="sklearn")
    return model.estimator, stancecls.load().predictor


def test_bundled_model_loads_its_bundle_by_default():
    model = stancecls.load()
    assert model.engine == "bundle"
    assert stancecls.load(engine="sklearn").engine == "sklearn"


def test_bundle_equals_sklearn_on_10000_real_news_paragraphs(bundled_pair):
    estimator, predictor = bundled_pair
    texts = corpus_sample(10_000)
    assert_same(estimator, predictor, texts)


def test_bundle_equals_sklearn_on_odd_text(bundled_pair):
    estimator, predictor = bundled_pair
    texts = [
        "",
        "   \n\t ",
        "\x01",
        "Korea\x01Utara mengirim pasukan ke Rusia.",  # the batch separator inside a text
        "NUL\x00di tengah teks dan emoji 🚀🇰🇷 serta huruf ΣΑΣ ΟΔΟΣ",
        "a",
        "surel: humas@kemlu.go.id https://kemlu.go.id/x?y=1 www.nato.int 1.000,5 US$2,3 miliar",
        "negara-negara Korea-AS-Jepang ber-kerja-sama\u00a0\u2003menentang",
        # plain ASCII words that the C path normalises itself: numbers, hyphens, case, over-long tokens
        "Rp10rb 1..2 ,5 12, x1y2z COVID-19 2022-2025 KTT-nya a-b- -a- abc--d-e NUMX Numx2 Jl. e-mail ber-bagi "
        + "a" * 70 + " " + "-".join(["ab"] * 70) + " WWW.nato.int x://y",
        "Ω" * 300 + " " + "bantuan " * 200,
        # NFKC turns "¨" and "´" into a space and a combining mark: one raw word becomes two pieces
        "ΑΣ¨Β Korut´Rusia a\u00a8b \u1680x\x1cy ＫＯＲＵＴ ﬁnal ΟΔΟΣ",
    ]
    assert_same(estimator, predictor, texts)
    for t in texts:  # the same alone as in a batch, bit for bit
        alone = predictor.predict_all([t])
        assert_same(estimator, predictor, [t])
        batch = predictor.predict_all(texts)
        i = texts.index(t)
        assert np.array_equal(alone[0][0], batch[0][i]) and np.array_equal(alone[1][0], batch[1][i])


def test_bundle_reproduces_other_settings(tiny_dir):
    """Stance modes, calibrations, no character n-grams, no stemming, stop words, single-label models."""
    from stancecls.model import StanceClassifier

    schema, records = load_labels(LABELS / "seeds.jsonl")
    X, y = [r.text for r in records], labels_to_matrix(records, schema)
    settings = [
        dict(stance_mode="shared", calibration="isotonic", char_ngram_range=(3, 5)),
        dict(stance_mode="per_topic", min_topic_pairs=3, calibration="none", char_ngram_range=None),
        dict(stem=False, stopwords=True, word_ngram_range=(1, 3), sublinear_tf=False, char_ngram_range=(1, 4)),
        dict(min_df=2, max_features=500, char_ngram_range=(2, 3)),
    ]
    texts = X + corpus_sample(300, seed=1)
    for params in settings:
        est = StanceClassifier(topics=schema.topics, stances=schema.stances, **params).fit(X, y)
        assert_same(est, read_bundle(io.BytesIO(bundle_bytes(est))), texts)
    # single-label: one multinomial regression over the classes
    classes = np.asarray(list(schema.topics) + ["other"], dtype=object)
    ys = np.full((len(X), len(classes)), "", dtype=object)
    ys[np.arange(len(X)), [len(classes) - 1 if not r.topics else list(schema.topics).index(r.topics[0]) for r in records]] = "favor"
    est = StanceClassifier(topics=list(classes), stances=["favor"], multi_label=False, char_ngram_range=(2, 4)).fit(X, ys)
    assert_same(est, read_bundle(io.BytesIO(bundle_bytes(est))), texts)


def test_predict_path_imports_neither_sklearn_nor_joblib():
    code = (
        "import sys, stancecls\n"
        "m = stancecls.load()\n"
        "m.predict(['Korea Selatan mengirimkan bantuan ke Ukraina.'])\n"
        "from stancecls.cli import main\n"
        "main(['predict', 'Korut mengirim pasukan ke Rusia.'])\n"
        "bad = [k for k in ('sklearn', 'joblib', 'scipy') if k in sys.modules]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert '"topics": ["russia_nk_cooperation"]' in done.stdout


def test_bundle_is_deterministic(seed_model):
    est = stancecls.load(seed_model, engine="sklearn").estimator
    assert bundle_bytes(est, {"x": "1"}) == bundle_bytes(est, {"x": "1"})


def test_bundle_refuses_newer_format_and_damage(tmp_path, seed_model):
    est = stancecls.load(seed_model, engine="sklearn").estimator
    data = bundle_bytes(est)
    good = tmp_path / "b.npz"
    good.write_bytes(data)
    read_bundle(good)
    # a newer format: rewrite the header
    with np.load(good, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(bytes(arrays["header"]))
    header["format_version"] = BUNDLE_VERSION + 1
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    newer = tmp_path / "newer.npz"
    np.savez(newer, **arrays)
    with pytest.raises(ModelFileError, match="newer than this stancecls reads"):
        read_bundle(newer)
    # a changed weight: the array checksum catches it
    header["format_version"] = BUNDLE_VERSION
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    arrays["weights"] = arrays["weights"] * 1.01
    tampered = tmp_path / "tampered.npz"
    np.savez(tampered, **arrays)
    with pytest.raises(ModelFileError, match="checksums do not match"):
        read_bundle(tampered)
    # an object array needs pickle: refused, not run
    arrays["weights"] = np.array([{"a": 1}], dtype=object)
    evil = tmp_path / "evil.npz"
    np.savez(evil, **arrays)
    with pytest.raises(ModelFileError, match="not a valid stancecls bundle"):
        read_bundle(evil)
    for junk in (b"", b"PK\x03\x04garbage", b"\x93NUMPY" + b"\x00" * 50, data[: len(data) // 2]):
        bad = tmp_path / "junk.npz"
        bad.write_bytes(junk)
        with pytest.raises(ModelFileError):
            read_bundle(bad)


def test_scores_do_not_depend_on_the_batch(bundled_pair):
    _, predictor = bundled_pair
    texts = corpus_sample(600, seed=5)
    whole = predictor.predict_all(texts)
    for size in (1, 7, 256):
        parts = [predictor.predict_all(texts[i : i + size]) for i in range(0, len(texts), size)]
        assert np.array_equal(whole[0], np.concatenate([p[0] for p in parts]))
        assert np.array_equal(whole[1], np.concatenate([p[1] for p in parts]))


# ------------------------------------------------------------------ the C kernel and its NumPy twin
def test_numpy_path_equals_the_c_kernel(bundled_pair, monkeypatch):
    """Without the C extension (no compiler at install) the NumPy path gives the same scores."""
    import stancecls.compiled as compiled

    estimator, _ = bundled_pair
    texts = corpus_sample(2_000, seed=3) + ["", "\x01", "Korea\x01Utara ke Rusia.", "bantuan " * 300]
    with_kernel = stancecls.load().predictor.predict_all(texts)
    monkeypatch.setattr(compiled, "_kernel", None)
    fallback = stancecls.load().predictor
    without = fallback.predict_all(texts)
    for a, b in zip(with_kernel, without):
        assert np.abs(a - b).max() <= 1e-12
    assert_same(estimator, fallback, texts)
    for i in (0, 5, 2002, 2003):  # the same alone as in a batch, bit for bit, on the NumPy path too
        alone = fallback.predict_all([texts[i]])
        assert np.array_equal(alone[0][0], without[0][i]) and np.array_equal(alone[1][0], without[1][i])


@pytest.mark.skipif(not __import__("os").environ.get("STANCECLS_REQUIRE_KERNEL"),
                    reason="the C kernel is optional; CI sets STANCECLS_REQUIRE_KERNEL=1 to insist on it")
def test_the_c_kernel_is_built():
    import stancecls.compiled as compiled

    assert compiled._kernel is not None, "stancecls._kernel did not build: is a C compiler installed?"


def test_find_rows_gives_every_word_its_row_however_many_words_a_text_has():
    """find_rows looks words up in a pipeline several words deep: texts shorter than it, as long and longer."""
    kernel = pytest.importorskip("stancecls._kernel")
    known = [f"w{i}" for i in range(40)]
    meta = np.zeros((len(known), 8), dtype=np.int64)
    meta[:, 5] = [len(w) for w in known]
    meta[:, 4] = np.cumsum(meta[:, 5]) - meta[:, 5]
    arena = np.array([ord(c) for w in known for c in w], dtype=np.uint32)
    slots = np.zeros(256, dtype=np.int64)
    kernel.insert(known, np.arange(len(known), dtype=np.int64), slots)
    rng = np.random.default_rng(0)
    for n in range(70):
        words = [str(w) for w in rng.choice(known + ["w4x", "new", "w"], size=n)]
        rows = np.empty(4 * n + 2, dtype=np.int64)
        found, missing = kernel.find_rows(" \n".join(words), slots, meta, arena, rows)
        new = list(dict.fromkeys(w for w in words if w not in known))
        assert found == n and missing == new
        assert rows[:n].tolist() == [known.index(w) if w in known else -1 - new.index(w) for w in words]


def test_a_renumbered_code_table_gives_every_key_its_new_id_and_pairs_interleave_keys_and_ids():
    from stancecls.compiled import CodeTable

    i64 = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731
    table = CodeTable(i64(7, 3, 11), i64(0, 1, 2))
    moved = table.renumbered(i64(2, 0, 1))
    assert moved.keys is table.keys  # shared, not copied
    assert moved.lookup(i64(7, 3, 11, 5)).tolist() == [2, 0, 1, -1]
    pairs = moved.pairs().reshape(-1, 2)
    assert np.array_equal(pairs[:, 0], table.keys) and np.array_equal(pairs[:, 1], moved.values)
    assert sorted(pairs[pairs[:, 0] != -1].tolist()) == [[3, 0], [7, 2], [11, 1]]


def test_the_c_kernel_checks_its_inputs():
    from stancecls.compiled import CodeTable

    kernel = pytest.importorskip("stancecls._kernel")
    i64 = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731
    # a cache of two rows: 0 the separator, 1 the word "abc" (word digit 1; char features 0 and 2)
    meta = np.zeros((2, 8), dtype=np.int64)
    meta[0] = [0, 0, 0, 0, 0, 1, 0, 0]
    meta[1] = [0, 1, 0, 2, 1, 3, 0, 0]
    arena = np.array([1, 97, 98, 99], dtype=np.uint32)
    slots = np.zeros(32, dtype=np.int64)
    kernel.insert(["\x01", "abc"], i64(0, 1), slots)
    rows = np.empty(20, dtype=np.int64)
    # white space as str.split() sees it; "abd" and "ab" are not known: -1 - their index in the missing list
    assert kernel.find_rows("abc \x01\u2003 abd\tabc\nab abd", slots, meta, arena, rows) == (6, ["abd", "ab"])
    assert rows[:6].tolist() == [1, 0, -1, 1, -2, -1]
    with pytest.raises(ValueError, match="too short"):
        kernel.find_rows("abc " * 10, slots, meta, arena, np.empty(2, dtype=np.int64))

    d_flat, f_flat = i64(1), np.array([0, 2], dtype=np.int32)
    u, idf2, UQ = np.ones((3, 2)), np.ones(3), np.array([[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]])
    scratch = np.zeros(2 * 3 + 2, dtype=np.int64)  # tallies kept from call to call
    out = np.zeros((1, 2))
    kernel.char_scores(i64(1), meta, f_flat, UQ, u, idf2, True, 1, out, scratch)
    assert np.allclose(out, [[2 / np.sqrt(2), 2 / np.sqrt(2)]])
    with pytest.raises(ValueError, match="out of range"):  # a feature id past the idf
        kernel.char_scores(i64(1), meta, np.array([0, 7], dtype=np.int32), UQ, u, idf2, True, 1, np.zeros((1, 2)), scratch)
    with pytest.raises(ValueError, match="out of range"):  # a row past the table
        kernel.char_scores(i64(5), meta, f_flat, UQ, u, idf2, True, 1, np.zeros((1, 2)), scratch)
    with pytest.raises(ValueError, match="out of range"):  # a row whose entries run past the flat table
        kernel.char_scores(i64(1), meta, np.zeros(1, dtype=np.int32), UQ, u, idf2, True, 1, np.zeros((1, 2)), scratch)
    with pytest.raises(ValueError, match="do not fit"):
        kernel.char_scores(i64(1), meta, f_flat, UQ, u, idf2, True, 2, np.zeros((1, 2)), scratch)
    with pytest.raises(TypeError):
        kernel.char_scores(i64(1), meta, f_flat, UQ, u.astype(np.float32), idf2, True, 1, out, scratch)
    with pytest.raises(ValueError, match="out of range"):  # more paragraphs in rows than rows in out
        kernel.char_scores(i64(1, 0, 1), meta, f_flat, UQ, u, idf2, True, 1, np.zeros((1, 2)), scratch)
    with pytest.raises(ValueError, match="do not fit"):  # a scratch of the wrong size
        kernel.char_scores(i64(1), meta, f_flat, UQ, u, idf2, True, 1, np.zeros((1, 2)), scratch[:-1])
    # a feature held twice, scored again with the same scratch and across the stamps' wrap: the same scores
    g = 1 + np.log(2)
    expected = (2 + (g - 2)) / np.sqrt(2 + (g * g - 2))
    for start in (None, None, 2**31 - 2, None):
        if start is not None:
            scratch[0] = start
        out = np.zeros((1, 2))
        kernel.char_scores(i64(1), meta, np.zeros(2, dtype=np.int32), UQ, u, idf2, True, 1, out, scratch)
        assert np.allclose(out, [[expected, expected]])

    table = CodeTable(i64(1), i64(0))  # word code 1 (the digit 1) is feature 0
    pairs = table.pairs()
    out = np.zeros((1, 2))
    kernel.word_scores(i64(1), meta, d_flat, pairs, np.array([2.0]), np.array([[1.0, 3.0]]), 5, 1, 1, True, 1, out)
    assert np.allclose(out, [[1.0, 3.0]])  # tf-idf 2, normalised to 1, times the weights
    with pytest.raises(ValueError, match="out of range"):  # a table value past the idf
        kernel.word_scores(i64(1), meta, d_flat, CodeTable(i64(1), i64(5)).pairs(), np.array([2.0]),
                           np.array([[1.0, 3.0]]), 5, 1, 1, True, 1, np.zeros((1, 2)))
    with pytest.raises(ValueError, match="out of range"):  # digits past the flat table
        kernel.word_scores(i64(1), meta, i64(), pairs, np.array([2.0]), np.array([[1.0, 3.0]]), 5, 1, 1,
                           True, 1, np.zeros((1, 2)))
    for bad in (pairs[:-2], pairs[:-1]):  # a table whose size is not a power of two, or not of whole pairs
        with pytest.raises(ValueError, match="do not fit"):
            kernel.word_scores(i64(1), meta, d_flat, bad, np.array([2.0]), np.array([[1.0, 3.0]]), 5, 1, 1, True, 1,
                               np.zeros((1, 2)))

    # char_learn: the bigram code of digits (1, 2) in base 5 is 7, feature 1
    table = CodeTable(i64(7, 3), i64(1, 0))
    pairs = table.pairs()
    u, idf2 = np.array([[1.0, 1.0], [2.0, 3.0]]), np.array([1.0, 4.0])
    fids, counts, uq = np.zeros(8, dtype=np.int32), np.zeros(2, dtype=np.int64), np.zeros((2, 3))
    # word 0 has digits 1 2 1 2 (two occurrences of feature 1), word 1 has digits 2 1 (none)
    assert kernel.char_learn(i64(1, 2, 1, 2, 2, 1), i64(4, 2), pairs, u, idf2, 5, 2, 2, fids, counts, uq) == 2
    assert fids[:2].tolist() == [1, 1] and counts.tolist() == [2, 0]
    assert uq.tolist() == [[4.0, 6.0, 8.0], [0.0, 0.0, 0.0]]
    with pytest.raises(ValueError, match="out of range"):  # a table value past the features
        kernel.char_learn(i64(1, 2), i64(2), CodeTable(i64(7, 3), i64(6, 5)).pairs(), u, idf2, 5, 2, 2, fids,
                          counts[:1], uq[:1])
    with pytest.raises(ValueError, match="do not fit"):  # lens that do not add up to the digits
        kernel.char_learn(i64(1, 2), i64(3), pairs, u, idf2, 5, 2, 2, fids, counts[:1], uq[:1])
    with pytest.raises(ValueError, match="do not fit"):  # room for fewer feature ids than n-grams
        kernel.char_learn(i64(1, 2, 1, 2, 2, 1), i64(4, 2), pairs, u, idf2, 5, 2, 2, fids[:3], counts, uq)
    with pytest.raises(ValueError, match="do not fit"):  # a negative length
        kernel.char_learn(i64(1, 2), i64(3, -1), pairs, u, idf2, 5, 2, 2, fids, counts, uq)


# ------------------------------------------------------------------ new words: the C path for plain ASCII words
PLAIN_EDGE_CASES = [
    "Korea,", "(AS)", "KTT-nya", "negara-negara", "Korea-AS-Jepang", "a-b-", "-a-", "abc--d-e", "--", "...", "'",
    "1.000,5", "Rp10rb", "US$2,3", "x1y2z", "1..2", ",5", "12,", "2022-2025", "COVID-19", "numx", "NUMX", "Numx2",
    "www", "wwwx", "Jl.", "e-mail", "MENENTANG", "Pemerintah,", "ber-bagi", "dan", "di", "a",
    "a" * 70, "pe" + "n" * 70,  # a token too long for the compiled stemmer: Python does the word
    "-".join(["ab"] * 70),  # more hyphen parts than the C path takes
    "WWW.nato.int", "Www.x", "a@b", "http://x", "x://y", "“Korea”", "Korut’s", "café",  # not plain: Python
]


def _cache_rows(cache, words):
    """What the cache holds for each word: its word digits, its sorted char feature ids and its U/Q rows (of every
    group of columns: the stance sums too)."""
    rows = cache._learn(list(words))
    cache._sum(range(len(cache.UQ)))
    meta, d_flat, f_flat, UQ = cache.tables()
    out = []
    for r in rows:
        d0, dl, f0, fl = meta[r, :4]
        sums = tuple(np.concatenate([u[r] for u in UQ]))
        out.append((tuple(d_flat[d0 : d0 + dl]), tuple(sorted(f_flat[f0 : f0 + fl])), sums))
    return out


@pytest.mark.parametrize("kind", ["bundled", "no_stem_stopwords", "no_chars"])
def test_the_c_path_for_new_words_equals_the_python_path(kind):
    """Rows learnt in C (plain ASCII words) are exactly the rows the Python path makes, word by word."""
    import stancecls.compiled as compiled
    from stancecls.model import StanceClassifier

    if compiled._kernel is None:
        pytest.skip("the C kernel is not built")
    if kind == "bundled":
        predictor = stancecls.load().predictor
    else:
        schema, records = load_labels(LABELS / "seeds.jsonl")
        X, y = [r.text for r in records], labels_to_matrix(records, schema)
        params = dict(stem=False, stopwords=True) if kind == "no_stem_stopwords" else dict(char_ngram_range=None)
        est = StanceClassifier(topics=schema.topics, stances=schema.stances, **params).fit(X, y)
        predictor = read_bundle(io.BytesIO(bundle_bytes(est)))
    words = list(dict.fromkeys(PLAIN_EDGE_CASES + " ".join(corpus_sample(300, seed=5)).split()))
    fast_cache, in_python = compiled._Cache(predictor), []
    learn_python = fast_cache._learn_python
    fast_cache._learn_python = lambda raw: in_python.extend(raw) or learn_python(raw)
    fast = _cache_rows(fast_cache, words)
    if kind == "bundled":  # the C path takes plain words and leaves the rest, and only the rest, to Python
        assert set(PLAIN_EDGE_CASES[-11:]) <= set(in_python)
        assert not set(PLAIN_EDGE_CASES[:-11]) & set(in_python)
        assert len(in_python) < 0.05 * len(words)
    slow_cache = compiled._Cache(predictor)
    slow_cache._learn = slow_cache._learn_python
    slow = _cache_rows(slow_cache, words)
    differ = [(w, a, b) for w, a, b in zip(words, fast, slow) if a != b]
    assert not differ, f"{len(differ)} of {len(words)} words differ, e.g. {differ[:3]}"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12),
                min_size=1, max_size=20))
def test_the_c_path_equals_the_python_path_on_generated_ascii_words(bundled_pair, words):
    import stancecls.compiled as compiled

    if compiled._kernel is None:
        pytest.skip("the C kernel is not built")
    _, predictor = bundled_pair
    words = list(dict.fromkeys(words))
    slow_cache = compiled._Cache(predictor)
    slow_cache._learn = slow_cache._learn_python
    assert _cache_rows(compiled._Cache(predictor), words) == _cache_rows(slow_cache, words)


def test_plain_learn_checks_its_inputs():
    kernel = pytest.importorskip("stancecls._kernel")
    i64 = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731
    no_chars = (i64(), i64(), np.zeros(0), np.zeros(0), 0, 0, 0)

    def learn(words, ids, meta=None, d_flat=None):
        meta = np.zeros((len(words), 8), dtype=np.int64) if meta is None else meta
        d_flat = np.zeros(4, dtype=np.int64) if d_flat is None else d_flat
        arena, uq = np.zeros(16, dtype=np.uint32), np.zeros((len(words), 3))
        out = kernel.plain_learn(words, ids, None, *no_chars, meta, d_flat, np.zeros(0, dtype=np.int32), arena, uq,
                                 10, 0, 20)
        return out, meta, d_flat, arena

    # "Ab," is learnt; "cd" has a token without word ids (and no stemmer to make them); "é" is not plain
    (mask, rows, n_digits, n_fids, n_codes), meta, d_flat, arena = learn(["Ab,", "cd", "é"], {"ab": (3,)})
    assert mask == b"\x01\x00\x00" and (rows, n_digits, n_fids, n_codes) == (1, 1, 0, 3)
    assert meta[0].tolist() == [10, 1, 0, 0, 20, 3, 0, 0] and d_flat[0] == 3 and arena[:3].tolist() == [65, 98, 44]
    with pytest.raises(ValueError, match="d_flat is too short"):
        learn(["ab"], {"ab": (3, 4)}, d_flat=i64(0))
    with pytest.raises(ValueError, match="not a tuple"):
        learn(["ab"], {"ab": 3})
    with pytest.raises(ValueError, match="do not fit"):
        learn(["ab"], {"ab": (3,)}, meta=np.zeros((2, 8), dtype=np.int64))
    with pytest.raises(ValueError, match="not a str"):
        learn([b"ab"], {})


@pytest.mark.parametrize("kernel", [True, False])
def test_a_full_cache_starts_afresh_with_the_same_scores(kernel, monkeypatch):
    """The word cache is bounded: past max_words it is emptied and refilled, and no score changes."""
    import stancecls.compiled as compiled

    texts = corpus_sample(2_000, seed=7)
    expected = stancecls.load().predictor.decision_scores(texts)
    if not kernel:
        monkeypatch.setattr(compiled, "_kernel", None)
    small = stancecls.load().predictor
    small._cache = compiled._Cache(small, max_words=5_000)
    resets, reset = [], small._cache.reset
    small._cache.reset = lambda: resets.append(1) or reset()
    got = np.concatenate([small.decision_scores(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    assert len(resets) >= 3
    assert np.abs(got - expected).max() <= (0 if kernel else 1e-12)


def test_a_batch_with_more_new_words_than_the_cache_holds(bundled_pair):
    """One paragraph can bring more distinct words than the word cache was sized for (here 40 times more):
    its table grows, the words it held stay found where they were, and every score still equals scikit-learn's."""
    import stancecls.compiled as compiled

    estimator, _ = bundled_pair
    rng = random.Random(3)
    flood = " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)) for _ in range(8_000))
    texts = corpus_sample(40, seed=11)
    small = stancecls.load().predictor
    small._cache = compiled._Cache(small, max_words=200)
    slots = len(small._cache.slots)
    assert_same(estimator, small, texts[:3] + [flood] + texts[3:20])
    assert len(small._cache.slots) > slots
    joined = "\n".join(texts[:3])
    with small._lock:
        rows, _ = small._cache.find(joined)
        n_rows, slots = small._cache.n_rows, len(small._cache.slots)
        small._cache._room(50_000)  # grows again: every word it holds moves to a slot of the bigger table
        assert len(small._cache.slots) > slots
        again, _ = small._cache.find(joined)
    assert small._cache.n_rows == n_rows and np.array_equal(rows, again)
    assert_same(estimator, small, texts + [flood])


@pytest.mark.parametrize("kernel", [True, False])
def test_topic_probabilities_alone_equal_those_of_the_full_pass_and_stances_still_follow(kernel, monkeypatch):
    """predict_proba skips the stance columns: its topic probabilities equal predict_all's bit for bit; stance
    columns asked for later are summed for every word learnt meanwhile (also across a cache restart), and equal
    those of a model that never skipped them."""
    import stancecls.compiled as compiled

    texts = corpus_sample(1_500, seed=21)
    if not kernel:
        monkeypatch.setattr(compiled, "_kernel", None)
    full = stancecls.load().predictor
    expected_t, expected_s = full.predict_all(texts)
    lazy = stancecls.load().predictor
    lazy._cache = compiled._Cache(lazy, max_words=6_000)
    assert [len(g.cols) for g in lazy._groups] == [4, 12]
    got_t, got_s = [], []
    for i in range(0, len(texts), 100):
        batch = texts[i : i + 100]
        got_t.append(lazy.predict_proba(batch))  # learns the batch's new words, their topic sums only
        if i % 300 == 0:  # now and then the stances too, for all that was learnt since
            t, s = lazy.predict_all(batch)
            assert np.array_equal(t, got_t[-1])
            got_s.append((i, s))
    assert np.array_equal(np.concatenate(got_t), expected_t)
    for i, s in got_s:
        assert np.array_equal(s, expected_s[i : i + 100])
    assert lazy._cache.summed[1] < lazy._cache.n_rows  # the last batches' words have no stance sums yet
    t, s = lazy.predict_all(texts[:200])  # rows learnt by topic-only batches, summed now
    assert lazy._cache.summed[1] == lazy._cache.n_rows
    assert np.array_equal(t, expected_t[:200]) and np.array_equal(s, expected_s[:200])
    model = stancecls.load()
    assert np.array_equal(model.topic_proba(texts[:50]), model.predict_proba(texts[:50])[0])



def test_the_kernels_score_two_groups_of_columns_in_one_pass_as_in_two():
    """word_scores and char_scores take a second group of columns and give each what a pass of its own gives;
    char_sums gives a row the sums learning it gave; all three refuse arrays that do not fit."""
    kernel = pytest.importorskip("stancecls._kernel")
    import stancecls.compiled as compiled

    m = stancecls.load().predictor
    texts = corpus_sample(300, seed=5)
    n = len(texts)
    with m._lock:
        rows, (meta, d_flat, f_flat, UQ) = m._cache.find(compiled._JOIN.join(texts), (0, 1))
    w, (g0, g1) = m._word, m._groups
    word_args = (rows, meta, d_flat, m._word_pairs, w.idf)
    word_set = (w.base, w.min_n, w.max_n, w.sublinear_tf, n)
    char_args = (rows, meta, f_flat)
    apart = [np.zeros((n, len(g.cols))) for g in (g0, g1)]
    together = [np.zeros((n, len(g.cols))) for g in (g0, g1)]
    for g, o, uq in zip((g0, g1), apart, UQ):
        kernel.word_scores(*word_args, g.W, *word_set, o)
        kernel.char_scores(*char_args, uq, g.char_u, m._char_idf2, True, n, o, m._scratch())
    kernel.word_scores(*word_args, g0.W, *word_set, together[0], g1.W, together[1])
    kernel.char_scores(*char_args, UQ[0], g0.char_u, m._char_idf2, True, n, together[0], m._scratch(), UQ[1], g1.char_u,
                       together[1])
    assert all(np.array_equal(a, b) for a, b in zip(apart, together)) and np.abs(apart[1]).max() > 0
    n_rows = m._cache.n_rows
    sums = np.zeros_like(UQ[0])
    kernel.char_sums(meta, f_flat, g0.char_u, m._char_idf2, 1, n_rows, sums)
    assert np.array_equal(sums[1:n_rows], UQ[0][1:n_rows])
    with pytest.raises(ValueError, match="do not fit"):  # rows past the table
        kernel.char_sums(meta, f_flat, g0.char_u, m._char_idf2, 0, len(meta) + 1, sums)
    with pytest.raises(ValueError, match="do not fit"):  # sums of the wrong width
        kernel.char_sums(meta, f_flat, g0.char_u, m._char_idf2, 0, 2, np.zeros((4, 7)))
    with pytest.raises(ValueError, match="out of range"):
        kernel.char_sums(meta, np.full_like(f_flat, 10**7), g0.char_u, m._char_idf2, 1, 2, sums)
    with pytest.raises(ValueError, match="do not fit"):  # a second group with no columns
        kernel.word_scores(*word_args, g0.W, *word_set, together[0], g1.W, np.zeros((n, 0)))
    with pytest.raises(ValueError, match="do not fit"):  # a second group whose sums miss rows
        kernel.char_scores(*char_args, UQ[0], g0.char_u, m._char_idf2, True, n, together[0], m._scratch(), UQ[1][:5],
                           g1.char_u, together[1])
