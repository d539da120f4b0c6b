"""Normalisation, tokenising and protected stemming."""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from stancecls import preprocess
from stancecls.preprocess import PROTECTED_WORDS, Preprocessor, normalize, stem, tokenize


def test_normalize_placeholders_and_case():
    out = normalize("Kirim ke AISYLU@korea.kr atau https://korea.kr/x?id=1 — US$400 juta, 2024")
    assert "emailx" in out and "urlx" in out and "numx" in out
    assert out == out.lower() and "korea.kr" not in out


def test_nfkc():
    assert normalize("ＫＯＲＥＡ") == "korea"


def test_hyphenated_names_and_reduplication():
    assert tokenize("cho tae-yul") == ["cho", "tae", "yul"]
    assert tokenize("korea-as") == ["korea", "as"]
    assert tokenize("negara-negara") == ["negara"]
    assert tokenize("numx juta") == ["numx", "juta"]


def test_protected_words_keep_their_meaning():
    for word in ("menentang", "menyetujui", "pemerintah", "pasukan", "berbagi", "keamanan", "pertahanan"):
        assert word in PROTECTED_WORDS
        assert stem(word) == word
    # what Sastrawi would have done without protection
    assert stem("menentang", protected=frozenset()) == "tentang"
    assert stem("berbagi", protected=frozenset()) == "bagi"


def test_stemming_ordinary_words():
    assert stem("mendukung") == "dukung"
    assert stem("mengecam") == "kecam"


def test_preprocessor_options():
    text = "Pemerintah tidak mendukung pengiriman senjata"
    assert Preprocessor(stem=False)(text) == ["pemerintah", "tidak", "mendukung", "pengiriman", "senjata"]
    stemmed = Preprocessor()(text)
    assert stemmed == ["pemerintah", "tidak", "dukung", "kirim", "senjata"]
    no_stop = Preprocessor(stopwords=True)("dia tidak mendukung itu")
    assert "tidak" in no_stop and "itu" not in no_stop and "dia" not in no_stop
    custom = Preprocessor(protected_words=["mendukung"])(text)
    assert "mendukung" in custom and "perintah" in custom


def test_preprocessor_pickle_holds_no_stemmer():
    Preprocessor()("mendukung")  # make sure the stemmer and cache exist
    blob = pickle.dumps(Preprocessor())
    assert b"Sastrawi" not in blob and len(blob) < 300
    assert preprocess._STEM_CACHE  # the cache lives at module level


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_preprocessing_never_crashes(text):
    tokens = Preprocessor()(text)
    assert all(isinstance(t, str) and t and " " not in t for t in tokens)
