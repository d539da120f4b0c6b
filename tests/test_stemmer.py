"""The compiled Sastrawi port (_sastrawi.c) returns exactly what PySastrawi returns."""

from __future__ import annotations

import json
import os
import pickle
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stancecls import preprocess

from conftest import SHARED

_sastrawi = pytest.importorskip("stancecls._sastrawi")
CORPUS = SHARED / "corpus" / "articles.jsonl"
PREFIXES = ["", "me", "mem", "men", "meng", "menge", "meny", "mempe", "memper", "ber", "be", "bel", "ter", "te",
            "pe", "per", "pem", "pen", "peng", "penge", "peny", "pel", "di", "ke", "se", "ku", "kau", "diper", "keber"]
SUFFIXES = ["", "kan", "an", "i", "nya", "lah", "kah", "tah", "pun", "ku", "mu", "isasi", "isme", "is", "kannya",
            "annya", "inya", "kanlah", "nyalah", "ilah"]


@pytest.fixture(scope="module")
def stemmers():
    return preprocess._fast_stemmer(), preprocess._stemmer()


def assert_same_stems(stemmers, words):
    compiled, reference = stemmers
    differ = [(w, reference.stem(w), compiled.stem(w)) for w in words if compiled.stem(w) != reference.stem(w)]
    assert not differ, f"{len(differ)} of {len(words)} words differ, e.g. {differ[:5]}"


def test_same_stems_as_pysastrawi_on_real_news(stemmers):
    """Every distinct word of 400 corpus articles (the benchmark checks all 8,055)."""
    words = set()
    with open(CORPUS, encoding="utf-8") as fh:
        for i, line in zip(range(400), fh):
            words.update(re.findall(r"[a-z]+", json.loads(line)["text"].lower()))
    words = sorted(w for w in words if len(w) >= 4)
    assert len(words) > 10_000
    assert_same_stems(stemmers, words)


def test_same_stems_as_pysastrawi_on_every_affix_pattern(stemmers):
    """Root words with the prefixes, infixes and suffixes the rules look for, and random letter strings."""
    roots = [w for w in preprocess._root_words() if w.isascii() and w.isalpha() and w.islower()]
    rng = random.Random(0)
    words = set()
    for root in rng.sample(roots, 3_000):
        words.update(rng.choice(PREFIXES) + root + rng.choice(SUFFIXES) for _ in range(5))
        words.update(root[0] + infix + root[1:] for infix in ("er", "el", "em", "in"))
    letters = "aiueobcdfghjklmnprstwy"
    for _ in range(5_000):
        body = "".join(rng.choice(letters) for _ in range(rng.randint(1, 7)))
        words.add(rng.choice(PREFIXES) + body + rng.choice(SUFFIXES))
    words.update(["belajar", "pelajar", "mempelajari", "ketahui", "mentaati", "mensyukuri", "penstabilan"])
    assert_same_stems(stemmers, sorted(w for w in words if 4 <= len(w) <= 60))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abdegiklmnprstuy", min_size=4, max_size=14))
def test_same_stems_on_generated_words(stemmers, word):
    assert_same_stems(stemmers, [word])


def test_words_it_does_not_handle_go_to_pysastrawi(stemmers, monkeypatch):
    compiled, reference = stemmers
    for word in ("dan", "kata-kata", "café", "Mendukung", "a" * 61, "tahun2024"):
        assert compiled.stem(word) is None
    with pytest.raises(TypeError):
        compiled.stem(b"mendukung")
    asked = []
    monkeypatch.setattr(preprocess, "_STEM_CACHE", {})
    monkeypatch.setattr(preprocess, "_stemmer", lambda: type("Spy", (), {"stem": lambda _, w: asked.append(w) or reference.stem(w)})())
    assert preprocess.stem("pengungsian") == "ungsi"  # plain a-z: the port
    # PySastrawi would turn "ä" into a space and return two words, which stem() never uses: kept whole, unasked
    assert preprocess.stem("penggunaän") == "penggunaän"
    # "ñ" at the edge leaves one plain word, which the port stems as PySastrawi would
    assert preprocess.stem("ñmendukung") == reference.stem("ñmendukung") == "dukung"
    assert preprocess.stem("a" * 61) == reference.stem("a" * 61)  # too long for the port
    assert asked == ["a" * 61]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abdegikmnprstuyäéñſıKİ²", min_size=1, max_size=14))
def test_stem_equals_pysastrawi_on_words_with_other_letters(stemmers, word):
    """Words outside a-z take a short cut through PySastrawi's own text normaliser: the same stems."""
    _, reference = stemmers
    expected = reference.stem(word)
    if word in preprocess.PROTECTED_WORDS or len(word) < 4 or word == preprocess.NUMBER_TOKEN:
        expected = word
    elif not expected or not expected.isalpha():
        expected = word
    preprocess._STEM_CACHE.pop(word, None)
    assert preprocess.stem(word) == expected


def test_the_stemmer_is_never_pickled(stemmers):
    compiled, _ = stemmers
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(compiled)


def test_stem_is_the_same_without_the_extension(monkeypatch):
    words = ["mendukung", "pengiriman", "kerjasama", "menentang", "pertahanannya", "diperbincangkan", "selamat"]
    with_port = [preprocess.stem(w) for w in words]
    monkeypatch.setattr(preprocess, "_FAST_STEMMER", False)
    monkeypatch.setattr(preprocess, "_STEM_CACHE", {})
    assert [preprocess.stem(w) for w in words] == with_port


@pytest.mark.skipif(not os.environ.get("STANCECLS_REQUIRE_KERNEL"),
                    reason="the C extensions are optional; CI sets STANCECLS_REQUIRE_KERNEL=1 to insist on them")
def test_the_port_is_used_when_built():
    preprocess.stem("memperjuangkan")
    assert preprocess._FAST_STEMMER
