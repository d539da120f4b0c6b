"""Indonesian text normalisation, tokenising and stemming.

The pipeline for one paragraph is::

    normalize()  -> NFKC, lower case, URLs/e-mails/numbers replaced by placeholder tokens
    tokenize()   -> words; hyphenated names split into parts, reduplication collapsed
    Preprocessor -> optional stop-word removal and PySastrawi stemming

Stemming is done per distinct token through a process-wide cache. The
Sastrawi stemmer is built lazily the first time it is needed and lives at
module level, so it is never pickled with a model. When the C extension is
built, words of plain letters a-z are stemmed by ``_sastrawi.c``, a port of
PySastrawi's algorithm that returns exactly what PySastrawi returns (tested
against it on every distinct word of the news corpus) about 70 times faster;
every other word goes to PySastrawi itself.

PySastrawi strips affixes greedily and turns some stance-bearing words into
other words (*menentang* "oppose" -> *tentang* "about", *berbagi* "share" ->
*bagi* "for", *pasukan* "troops" -> *pasu*). :data:`PROTECTED_WORDS` lists the
ones that matter for this domain; they are kept as they are.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Iterable

__all__ = [
    "normalize",
    "tokenize",
    "stem",
    "Preprocessor",
    "PROTECTED_WORDS",
    "stop_words",
    "URL_TOKEN",
    "EMAIL_TOKEN",
    "NUMBER_TOKEN",
]

URL_TOKEN = "urlx"
EMAIL_TOKEN = "emailx"
NUMBER_TOKEN = "numx"

#: Words Sastrawi would stem into a different word; found by stemming the
#: label data's vocabulary and reading every stem that changed meaning.
PROTECTED_WORDS: frozenset[str] = frozenset(
    {
        # oppose -> "about"
        "menentang", "ditentang", "penentangan", "bertentangan", "pertentangan",
        # agree / approval -> "aim"
        "menyetujui", "disetujui", "persetujuan", "setuju",
        # agree on -> "pakat"
        "menyepakati", "disepakati",
        # government -> "order"
        "pemerintah", "pemerintahan",
        # troops -> "pasu"
        "pasukan",
        # objection -> "heavy"
        "keberatan", "berkeberatan",
        # urging -> "village"
        "desakan",
        # warning -> "remember"
        "peringatan", "memperingatkan", "diperingatkan",
        # defence -> "hold"; security -> "safe"
        "pertahanan", "keamanan",
        # deepen -> "in"
        "memperdalam", "pendalaman",
        # regret -> "love"
        "menyayangkan", "disayangkan",
        # share -> "for"
        "berbagi", "membagikan", "dibagikan", "pembagian",
    }
)

_NEGATIONS_AND_STANCE = {
    "tidak", "tidakkah", "tidaklah", "tak", "bukan", "bukankah", "bukanlah", "bukannya", "belum",
    "belumlah", "jangan", "jangankan", "janganlah", "tanpa", "kerja", "bekerja", "sama", "bersama",
    "sama-sama", "bersama-sama", "saling", "sesama", "penting", "pentingnya", "tegas", "harus",
    "perlu", "siap", "tentang", "sepihak", "memihak",
}

_STOP_WORDS: frozenset[str] | None = None
_STEMMER = None
_FAST_STEMMER = None  # the compiled port, False when the extension is not built
_STEM_CACHE: dict[str, str] = {}
_STEM_CACHE_MAX = 500_000
_LOCK = threading.Lock()

_URL = re.compile(r"(?:https?://|www\.)[^\s)\]>\"']+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|numx")


def normalize(text: str) -> str:
    """NFKC-normalise, lower-case and replace URLs, e-mails and numbers.

    Examples
    --------
    >>> normalize("Bantuan US$2,3 miliar (lihat https://x.id)")
    'bantuan us$ numx miliar (lihat urlx )'
    """
    return " ".join(_placeholders(unicodedata.normalize("NFKC", text).lower()).split())


def _placeholders(text: str) -> str:
    # None of these patterns crosses white space, which lets the compiled predictor apply them word by word.
    if "://" in text or "www." in text:  # substring tests skip scans that cannot match
        text = _URL.sub(f" {URL_TOKEN} ", text)
    if "@" in text:
        text = _EMAIL.sub(f" {EMAIL_TOKEN} ", text)
    return _NUMBER.sub(f" {NUMBER_TOKEN} ", text)


def tokenize(text: str) -> list[str]:
    """Split normalised text into word tokens.

    Hyphenated compounds are split into their parts, so *Korea-AS* matches
    *Korea dan AS* and *Tae-yul* gives *tae*, *yul*; reduplicated plurals are
    collapsed (*negara-negara* -> *negara*).

    Examples
    --------
    >>> tokenize("korsel-as-jepang dan negara-negara nato")
    ['korsel', 'as', 'jepang', 'dan', 'negara', 'nato']
    """
    out: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if "-" in token:
            parts = token.split("-")
            if len(parts) == 2 and parts[0] == parts[1]:
                out.append(parts[0])
            else:
                out.extend(p for p in parts if p)
        else:
            out.append(token)
    return out


def _stemmer():
    global _STEMMER
    if _STEMMER is None:
        with _LOCK:
            if _STEMMER is None:
                # The uncached Stemmer: our own cache below is bounded, Sastrawi's is not.
                from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
                from Sastrawi.Stemmer.Stemmer import Stemmer

                words = _root_words()
                dictionary = ArrayDictionary()
                # What ArrayDictionary.add_words does, in one pass: 30 ms less at every cold start.
                dictionary.words = {w: w for w in words if w and w.strip()}
                _STEMMER = Stemmer(dictionary)
    return _STEMMER


def _fast_stemmer():
    global _FAST_STEMMER
    if _FAST_STEMMER is None:
        with _LOCK:
            if _FAST_STEMMER is None:
                try:
                    from ._sastrawi import Stemmer
                except ImportError:  # built without a C compiler
                    _FAST_STEMMER = False
                else:
                    _FAST_STEMMER = Stemmer(_root_words())
    return _FAST_STEMMER


def _root_words() -> list[str]:
    """PySastrawi's root-word dictionary, read as StemmerFactory.get_words reads it.

    Reading the file directly spares importing PySastrawi's 40 rule modules, which
    only the words the compiled port does not handle need.
    """
    import os

    import Sastrawi

    path = os.path.join(os.path.dirname(Sastrawi.__file__), "Stemmer", "data", "kata-dasar.txt")
    if not os.path.isfile(path):
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

        return StemmerFactory().get_words()
    with open(path, encoding="utf-8") as fh:
        return fh.read().split("\n")


def _sastrawi_stem(token: str) -> str:
    """PySastrawi's stem of a token the compiled port does not take (not only letters a-z, or too long or short).

    PySastrawi first replaces every character outside ``[a-z0-9 -]`` by a space; when that leaves one plain
    word, the port stems it (PySastrawi's stem of that word is the port's), which spares PySastrawi's slow
    rule modules for words such as mojibake.
    """
    fast = _fast_stemmer()
    if fast:
        from Sastrawi.Stemmer.Filter.TextNormalizer import normalize_text

        text = normalize_text(token)
        if not text or " " in text:
            return token  # PySastrawi would return "" or several words, which stem() does not use
        if text != token:
            stemmed = fast.stem(text)
            if stemmed is not None:
                return stemmed
    return _stemmer().stem(token)


def stem(token: str, protected: Iterable[str] | frozenset[str] = PROTECTED_WORDS) -> str:
    """Stem one lower-case token with PySastrawi, leaving protected words alone.

    Examples
    --------
    >>> stem("mendukung"), stem("menentang")
    ('dukung', 'menentang')
    """
    if token in protected or len(token) < 4 or token == NUMBER_TOKEN:
        return token
    cached = _STEM_CACHE.get(token)
    if cached is None:
        fast = _fast_stemmer()
        cached = fast.stem(token) if fast else None
        if cached is None:
            cached = _sastrawi_stem(token)
        if not cached or not cached.isalpha():
            # Sastrawi drops characters it does not know; keep such tokens whole.
            cached = token
        if len(_STEM_CACHE) >= _STEM_CACHE_MAX:
            _STEM_CACHE.clear()
        _STEM_CACHE[token] = cached
    return cached


def stop_words() -> frozenset[str]:
    """PySastrawi's Indonesian stop words, minus negations and stance words."""
    global _STOP_WORDS
    if _STOP_WORDS is None:
        from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

        _STOP_WORDS = frozenset(StopWordRemoverFactory().get_stop_words()) - _NEGATIONS_AND_STANCE
    return _STOP_WORDS



class Preprocessor:
    """Text -> tokens, configured by the estimator's parameters.

    Holds only its settings, so pickling it never pickles the stemmer or its
    cache. Instances are callables usable as a scikit-learn ``analyzer`` or
    ``tokenizer``.

    Parameters
    ----------
    stem : bool, default=True
        Stem tokens with PySastrawi (turn off for other languages).
    stopwords : bool, default=False
        Drop Indonesian stop words (negations are always kept).
    protected_words : iterable of str or None, default=None
        Words never stemmed; ``None`` means :data:`PROTECTED_WORDS`.
    """

    def __init__(self, *, stem: bool = True, stopwords: bool = False, protected_words=None) -> None:
        self.stem = stem
        self.stopwords = stopwords
        self.protected_words = protected_words

    def __call__(self, text: str) -> list[str]:
        tokens = tokenize(normalize(text))
        if self.stopwords:
            sw = stop_words()
            tokens = [t for t in tokens if t not in sw]
        if self.stem:
            protected = PROTECTED_WORDS if self.protected_words is None else frozenset(self.protected_words)
            tokens = [stem(t, protected) for t in tokens]
        return tokens

    def __repr__(self) -> str:
        return f"Preprocessor(stem={self.stem!r}, stopwords={self.stopwords!r}, protected_words={self.protected_words!r})"
