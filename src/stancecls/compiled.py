"""The compiled predictor: a fitted model as plain arrays, scored without scikit-learn, SciPy or joblib.

:class:`CompiledModel` reproduces :meth:`StanceClassifier.predict_all
<stancecls.model.StanceClassifier.predict_all>` (scores within 1e-9, tested on
10,000 real news paragraphs) without scikit-learn, SciPy or joblib, so the
predict path starts fast and loads nothing that can run code. It is built by
:func:`stancecls.bundle.export_arrays` and read by
:func:`stancecls.bundle.read_bundle`.

Where the time goes, and what is done about it:

- preprocessing (normalising, tokenising, stemming, character n-grams) runs
  once per *distinct* raw word (a run of non-white-space) into a bounded
  cache (:class:`_Cache`) that keeps, per word, its word ids, the feature ids
  of its character n-grams and their summed weights (of the topic columns
  when the word is learnt, of the stance columns only once a batch asks for
  stances, so :meth:`CompiledModel.predict_proba`, topics alone, never sums
  them); a new word of plain ASCII (nearly all of them) is learnt in C
  (``_kernel.plain_learn``, which stems with the compiled Sastrawi port,
  ``_sastrawi.c``), in a microsecond or two; other words go through Python
  (``_Cache._learn_python``);
- every n-gram is an integer code (bijective base-``B`` digits of its token or
  character ids), so vocabulary lookup is a hash-table probe instead of a
  dict lookup per n-gram;
- with the C extension (``_kernel.c``) built, a batch is one string: the
  kernel splits it, finds each word in the cache's own hash table, and scores
  paragraph by paragraph (TF-IDF, L2 normalisation, linear scores), so no
  Python object is made per word; without it, Python splits and looks words
  up in a dict and NumPy computes the same scores over the whole batch.
"""

from __future__ import annotations

import functools
import math
import threading
import unicodedata
from itertools import chain, compress
from typing import Any, Sequence

import numpy as np

from .preprocess import PROTECTED_WORDS, _TOKEN, _fast_stemmer, _placeholders, normalize, stem, stop_words

try:
    from . import _kernel
except ImportError:  # installed without a C compiler: the NumPy path gives the same scores
    _kernel = None

__all__ = ["CompiledModel", "CodeTable", "explain", "top_features"]

_SEP = "\x01"  # joins the paragraphs of a batch; a batch whose text holds it is scored paragraph by paragraph
_JOIN = " " + _SEP + " "
_CHUNK = 1024  # paragraphs scored together
_NO_INTS, _NO_FLOATS = np.zeros(0, dtype=np.int64), np.zeros(0)  # plain_learn's char block when there is none
_META = 8  # columns of _Cache.meta: d_start, d_len, f_start, f_len, a_start, a_len, unused, unused


def _linear_probe_slots(first: np.ndarray, size: int) -> np.ndarray:
    """Where keys land in an empty open-addressing table of ``size`` (a power of two) under linear probing.

    Vectorised: in each round, of the keys wanting a free slot the first (in
    input order) takes it and the rest move one slot on. A saved bundle's
    tables were placed this way, so it must not change.

    Parameters
    ----------
    first : ndarray of int64
        Each key's first slot.
    size : int

    Returns
    -------
    ndarray of int64
        Each key's slot.
    """
    slots = np.array(first, dtype=np.int64)
    taken = np.zeros(size, dtype=bool)
    pending = np.arange(len(slots))
    while len(pending):
        s = slots[pending]
        free = ~taken[s]
        s_free, first_free = np.unique(s[free], return_index=True)
        taken[s_free] = True
        placed = np.zeros(len(pending), dtype=bool)
        placed[np.flatnonzero(free)[first_free]] = True
        pending = pending[~placed]
        slots[pending] = (slots[pending] + 1) & (size - 1)
    return slots


class CodeTable:
    """An open-addressing hash table from int64 codes to feature ids, probed with NumPy.

    Parameters
    ----------
    codes : ndarray of int64
        Distinct non-negative keys.
    ids : ndarray of int
        The value of each key.
    """

    _MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing

    def __init__(self, codes: np.ndarray, ids: np.ndarray) -> None:
        n = max(len(codes), 1)
        self.bits = max(int(math.ceil(math.log2(n * 2))), 4)  # load factor <= 1/2
        size = 1 << self.bits
        self.mask = size - 1
        self.keys = np.full(size, -1, dtype=np.int64)
        self.values = np.full(size, -1, dtype=np.int64)
        at = _linear_probe_slots(self._hash(np.asarray(codes, dtype=np.int64)), size)
        self.keys[at] = codes
        self.values[at] = ids

    @classmethod
    def from_arrays(cls, keys: np.ndarray, values: np.ndarray, n_values: int) -> "CodeTable":
        """A table saved by :meth:`arrays`, checked so that a damaged one cannot loop or index out of range."""
        size = len(keys)
        if size < 16 or size & (size - 1) or len(values) != size or keys.dtype != np.int64 or values.dtype != np.int64:
            raise ValueError("hash table arrays have a wrong size or type")
        empty = keys == -1
        if not empty.any() or (keys[~empty] < 0).any() or (values[~empty] < 0).any() or (values[~empty] >= n_values).any():
            raise ValueError("hash table arrays hold invalid entries")
        self = cls.__new__(cls)
        self.bits = size.bit_length() - 1
        self.mask = size - 1
        self.keys, self.values = keys, values
        return self

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(keys, values)``, for saving."""
        return self.keys, self.values

    def renumbered(self, new_ids: np.ndarray) -> "CodeTable":
        """The same keys (shared, not copied), each value ``v`` replaced by ``new_ids[v]``."""
        out = CodeTable.__new__(CodeTable)
        out.bits, out.mask, out.keys = self.bits, self.mask, self.keys
        out.values = np.full_like(self.values, -1)
        used = np.flatnonzero(self.keys != -1)
        out.values[used] = new_ids[self.values[used]]
        return out

    def pairs(self) -> np.ndarray:
        """The table as the C kernel probes it: slot ``i`` is ``[2i]`` = key, ``[2i + 1]`` = value, so that a probe
        reads one cache line instead of one in each array."""
        return np.stack([self.keys, self.values], axis=1).reshape(-1)

    def _hash(self, codes: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            h = codes.astype(np.uint64) * self._MULT
        return (h >> np.uint64(64 - self.bits)).astype(np.int64)

    def lookup(self, codes: np.ndarray) -> np.ndarray:
        """Feature id of each code, -1 where it is not a key."""
        out = np.full(len(codes), -1, dtype=np.int64)
        slots = self._hash(codes)
        todo = np.arange(len(codes))
        while len(todo):
            k = self.keys[slots]
            hit = k == codes
            out[todo[hit]] = self.values[slots[hit]]
            go_on = ~hit & (k != -1)  # an empty slot ends the probe: not a key
            todo, codes = todo[go_on], codes[go_on]
            slots = (slots[go_on] + 1) & self.mask
        return out


def _ragged(flat: np.ndarray, start: np.ndarray, length: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The values of ``rows`` of a ragged table, concatenated in order."""
    lens = length[rows]
    ends = np.cumsum(lens)
    if not len(ends) or not ends[-1]:
        return np.zeros(0, dtype=flat.dtype)
    return flat[np.repeat(start[rows] - (ends - lens), lens) + np.arange(int(ends[-1]))]


def _ngram_codes(digits: np.ndarray, base: int, n_max: int):
    """Yield ``(n, codes)`` for n = 1..n_max; ``codes[p]`` encodes ``digits[p:p+n]``."""
    code = digits.astype(np.int64)
    yield 1, code
    for n in range(2, n_max + 1):
        code = code[:-1] * base + digits[n - 1 :]
        yield n, code


def _array(arrays: dict[str, np.ndarray], name: str, dtype, ndim: int) -> np.ndarray:
    """A bundle array with the type and rank the predictor needs (a damaged file fails here, not later)."""
    a = arrays[name]
    if a.dtype != dtype or a.ndim != ndim:
        raise ValueError(f"array {name!r} is {a.dtype}[{a.ndim}d], expected {np.dtype(dtype)}[{ndim}d]")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise ValueError(f"array {name!r} holds NaN or infinity")
    return a


class _Block:
    """One TF-IDF block (word or character n-grams): vocabulary codes, idf and settings."""

    def __init__(self, arrays: dict[str, np.ndarray], prefix: str, spec: dict[str, Any]) -> None:
        self.min_n, self.max_n = (int(v) for v in spec["ngram_range"])
        self.sublinear_tf = bool(spec["sublinear_tf"])
        self.base = int(spec["base"])
        self.offset = int(spec["offset"])
        self.idf = _array(arrays, f"{prefix}_idf", np.float64, 1)
        self.n_features = len(self.idf)
        if not (1 <= self.min_n <= self.max_n <= 16) or self.base < 3 or float(self.base) ** self.max_n >= 2**63:
            raise ValueError(f"{prefix} n-gram settings out of range")
        if self.offset < 0 or int(spec["n_features"]) != self.n_features:
            raise ValueError(f"{prefix} block size does not match its idf")
        self.table = CodeTable.from_arrays(arrays[f"{prefix}_keys"], arrays[f"{prefix}_values"], self.n_features)

    def tfidf(self, rows: np.ndarray, codes_by_n, n_rows: int):
        """Sparse TF-IDF entries ``(row, feature, value)`` of a batch, sorted by row then feature."""
        keys = []
        for n, codes, valid in codes_by_n:
            if n < self.min_n:
                continue
            fid = self.table.lookup(codes)
            ok = fid >= 0 if valid is None else (fid >= 0) & valid
            pos = np.flatnonzero(ok)
            keys.append(rows[pos] * self.n_features + fid[pos])
        if not keys:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        keys = np.concatenate(keys)
        keys.sort()
        if len(keys):
            starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
            counts = np.diff(np.append(starts, len(keys))).astype(np.float64)
            keys = keys[starts]
        else:
            counts = np.zeros(0)
        row, fid = np.divmod(keys, self.n_features)
        if self.sublinear_tf:
            counts = np.log(counts) + 1.0
        val = counts * self.idf[fid]
        norm = np.sqrt(np.bincount(row, weights=val * val, minlength=n_rows))
        val /= norm[row]
        return row, fid + self.offset, val


class _Cache:
    """What the predictor knows about every distinct raw word it has seen.

    Splitting on white space is done on a whole batch at once; everything
    after that (NFKC, lower-casing, URL, e-mail and number placeholders,
    tokens, stems, n-grams) never crosses white space, so it is computed once
    per distinct raw word and kept in a row of these tables:

    - ``meta[row]``: where the row's entries start and how many there are in
      ``d_flat`` (the word ids of its tokens, with hyphen parts, stop words and
      stemming applied as in :class:`~stancecls.preprocess.Preprocessor`),
      ``f_flat`` (the feature id of every ``char_wb`` n-gram occurrence of its
      normalised pieces, sorted, numbered in ``CompiledModel._char_order``)
      and ``arena`` (its code points);
    - ``UQ[g][row]``: ``U``, the sum over those occurrences of ``idf * weights``
      for the output columns of group ``g`` (see :class:`_Columns`), then
      ``Q``, the sum of ``idf**2``. Group 0 (the topics) is summed when a word
      is learnt; the others (the stances) only when a batch asks for them,
      for every row learnt since (``summed``): topic probabilities alone do
      not pay for the stance columns, three quarters of the weights.

    ``char_wb`` n-grams never cross words, so a paragraph's character score
    is the sum of its words' ``U`` divided by the square root of the sum of
    their ``Q``, corrected for the features the paragraph holds more than once
    (tf above 1). Row 0 is the paragraph separator. Words are found by the C
    kernel's hash table (``slots``), which it probes straight from the batch's
    text, or without the kernel by a dict (``rows``). The cache is bounded:
    it starts afresh after ``max_words`` raw words; a single batch with more
    new words than that is still learnt whole (the table grows for it).
    """

    def __init__(self, model: "CompiledModel", max_words: int = 200_000) -> None:
        self.model = model
        self.max_words = max_words
        self.reset()

    def reset(self) -> None:
        self.rows: dict[str, int] = {}
        self.token_ids: dict[str, tuple] = {}
        # room for max_words words of news at the start: np.zeros maps zero pages that take memory only once
        # written to, and growing by copies on the way costs a first pass over new text a tenth of its time
        rows = self.max_words + 1
        self.meta = np.zeros((rows, _META), dtype=np.int64)
        self.UQ = [np.zeros((rows, len(g.cols) + 1)) for g in self.model._groups]
        self.summed = [0] * len(self.UQ)  # rows whose UQ[g] holds their sums; group 0's always do
        self.d_flat = np.zeros(2 * rows, dtype=np.int64)
        self.f_flat = np.zeros(40 * rows, dtype=np.int32)  # feature ids; half the memory of int64
        self.arena = np.zeros(12 * rows, dtype=np.uint32)
        # (hash, row) pairs for the kernel; at most half full
        self.slots = np.zeros(2 << (2 * (self.max_words + 1) - 1).bit_length(), dtype=np.int64)
        self.n_rows = self.n_digits = self.n_fids = self.n_arena = 0
        self._add_rows([_SEP], [(self.model._sep_token,)], np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64))

    def tables(self):
        """The tables rows point into. They are only appended to or replaced, never changed where a row
        points (a group's sums are written once, before any batch reads them), so a snapshot stays valid while
        other threads learn new words."""
        return self.meta, self.d_flat, self.f_flat, list(self.UQ)

    def find(self, joined: str, groups: Sequence[int] = (0,)):
        """Rows of the raw words of a batch's text (learning new ones), found by the C kernel, and the tables
        with the sums of ``groups``."""
        rows = np.empty(len(joined) // 2 + 1, dtype=np.int64)
        words, absent = _kernel.find_rows(joined, self.slots, self.meta, self.arena, rows)
        rows = rows[:words]
        if absent:
            if self.n_rows + len(absent) > self.max_words + 1 and self.n_rows > 1:
                self.reset()
                return self.find(joined, groups)
            self._room(len(absent))
            at = np.flatnonzero(rows < 0)
            rows[at] = self._learn(absent)[-1 - rows[at]]
        self._sum(groups)
        return rows, self.tables()

    def _sum(self, groups: Sequence[int]) -> None:
        """Fill in the sums of ``groups`` for the rows learnt since they were last asked for."""
        m = self.model
        for g in groups:
            lo, hi = self.summed[g], self.n_rows
            if g == 0 or hi <= lo or m._char is None:  # without a character block every U is zero
                continue
            cols = m._groups[g]
            if _kernel is not None:
                _kernel.char_sums(self.meta, self.f_flat, cols.char_u, m._char_idf2, lo, hi, self.UQ[g])
            else:
                counts = self.meta[lo:hi, 3]
                fids = _ragged(self.f_flat, self.meta[:, 2], self.meta[:, 3], np.arange(lo, hi))
                self.UQ[g][lo:hi] = _sums_numpy(fids, counts, cols.char_u, m._char_idf2)
            self.summed[g] = hi

    def _room(self, n_new: int) -> None:
        """Make the kernel's table hold ``n_new`` more words at most half full.

        A batch can bring more new words than ``max_words`` (one huge paragraph of distinct tokens): the table
        then doubles until they fit, and the words it holds move to their slots in the bigger one.

        Parameters
        ----------
        n_new : int
            Words about to be inserted.
        """
        size = len(self.slots) // 2
        need = 2 * (self.n_rows + n_new)
        if need <= size:
            return
        while size < need:
            size *= 2
        pairs = self.slots.reshape(-1, 2)
        old = pairs[pairs[:, 0] != 0]
        bigger = np.zeros((size, 2), dtype=np.int64)
        # the kernel's first slot for a hash is hash & mask (of an int64, the low bits as of a uint64)
        bigger[_linear_probe_slots(old[:, 0] & (size - 1), size)] = old
        self.slots = bigger.reshape(-1)

    def lookup(self, raw: list[str], groups: Sequence[int] = (0,)):
        """Rows of the raw words (learning new ones), and the tables they point into; without the C kernel."""
        try:
            rows = np.array(list(map(self.rows.__getitem__, raw)), dtype=np.int64)
        except KeyError:
            new = list(dict.fromkeys(w for w in raw if w not in self.rows))
            if self.n_rows + len(new) > self.max_words + 1:
                self.reset()
                new = list(dict.fromkeys(w for w in raw if w not in self.rows))
            self._learn(new)
            rows = np.array(list(map(self.rows.__getitem__, raw)), dtype=np.int64)
        self._sum(groups)
        return rows, self.tables()

    def _learn(self, raw: list[str]) -> np.ndarray:
        """Add rows for new raw words; returns their rows."""
        if _kernel is None or not raw:
            return self._learn_python(raw)
        # plain ASCII words (nearly all of them) are normalised, tokenised, stemmed and given their rows in C; the
        # rest (other characters, or a token the compiled stemmer does not take) in Python
        r0 = self.n_rows
        learnt = self._learn_plain(raw)
        done = np.frombuffer(learnt, dtype=np.uint8).astype(bool)
        rows = np.empty(len(raw), dtype=np.int64)
        rows[done] = np.arange(r0, self.n_rows, dtype=np.int64)
        if not done.all():
            rows[~done] = self._learn_python([w for w, d in zip(raw, learnt) if not d])
        return rows

    def _learn_plain(self, raw: list[str]) -> bytes:
        m, block = self.model, self.model._char
        r0, n = self.n_rows, len(raw)
        chars = sum(map(len, raw))  # a token's word digits, and a piece's character, come from one raw character
        self._grow("meta", r0 + n)
        self._grow_sums(r0 + n)
        self._grow("d_flat", self.n_digits + chars)
        self._grow("arena", self.n_arena + chars)
        if block is None:
            char_args = (_NO_INTS, _NO_INTS, _NO_FLOATS, _NO_FLOATS, 0, 0, 0)
        else:
            # a raw character becomes at most 6 padded ones (a digit: " numx "), plus 2 pads per word
            self._grow("f_flat", self.n_fids + (6 * chars + 2 * n) * (block.max_n - block.min_n + 1))
            char_args = (m._bmp, m._char_pairs, m._groups[0].char_u, m._char_idf2, block.base, block.min_n,
                         block.max_n)
        learnt, rows, d, f, a = _kernel.plain_learn(
            raw, self.token_ids, m._resolver, *char_args, self.meta[r0 : r0 + n], self.d_flat[self.n_digits :],
            self.f_flat[self.n_fids :], self.arena[self.n_arena :], self.UQ[0][r0 : r0 + n], self.n_digits,
            self.n_fids, self.n_arena)
        self.n_digits += d
        self.n_fids += f
        self.n_arena += a
        self.n_rows += rows
        if rows:
            _kernel.insert(list(compress(raw, learnt)), np.arange(r0, r0 + rows, dtype=np.int64), self.slots)
        return learnt

    def _learn_python(self, raw: list[str]) -> np.ndarray:
        m = self.model
        # NFKC, lower-casing and the placeholders per raw word equal doing them on the whole text: none crosses
        # white space (NFKC can turn a character into a space, "¨" into " ̈", so a raw word may become several
        # pieces), so they run once on the new words joined by line breaks
        normed = _placeholders(unicodedata.normalize("NFKC", "\n".join(raw)).lower()).split("\n")
        if len(normed) != len(raw):  # NFKC made a line break of something: word by word instead
            normed = [_placeholders(unicodedata.normalize("NFKC", w).lower()) for w in raw]
        tokens = [_TOKEN.findall(t) for t in normed]
        ids = self.token_ids  # many raw words share a token: "Korea," "(Korea" "korea"
        for tok in dict.fromkeys(chain.from_iterable(tokens)):
            if tok not in ids:
                ids[tok] = m._token_ids(tok)
        digits = [tuple(chain.from_iterable(map(ids.__getitem__, ts))) for ts in tokens]
        block = m._char
        if block is None or not raw:
            return self._add_rows(raw, digits, np.zeros(0, dtype=np.int64), np.zeros(len(raw), dtype=np.int64))
        # char_wb pads each piece with a space on either side
        padded = [" " + "  ".join(t.split()) + " " if t.strip() else "" for t in normed]
        cp = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        digits_c = m._char_digits(cp)
        lens = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
        if _kernel is not None:
            fids = np.empty(len(cp) * (block.max_n - block.min_n + 1), dtype=np.int32)
            counts = np.empty(len(raw), dtype=np.int64)
            uq = np.empty((len(raw), self.UQ[0].shape[1]))
            total = _kernel.char_learn(digits_c, lens, m._char_pairs, m._groups[0].char_u, m._char_idf2, block.base,
                                       block.min_n, block.max_n, fids, counts, uq)
            return self._add_rows(raw, digits, fids[:total], counts, uq)
        # n-grams that run from one piece or word into the next hold two spaces: no vocabulary n-gram does
        owner = np.repeat(np.arange(len(raw)), lens)
        keys = []
        for n, codes in _ngram_codes(digits_c, block.base, block.max_n):
            if n < block.min_n:
                continue
            fid = m._char_table.lookup(codes)
            hit = np.flatnonzero(fid >= 0)
            keys.append(owner[hit] * block.n_features + fid[hit])
        keys = np.sort(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
        word, fid = np.divmod(keys, block.n_features)
        return self._add_rows(raw, digits, fid, np.bincount(word, minlength=len(raw)))

    def _add_rows(self, raw: list[str], digits: list[tuple], fids: np.ndarray, counts: np.ndarray, uq=None) -> np.ndarray:
        m = self.model
        r0, n = self.n_rows, len(raw)
        self._grow("meta", r0 + n)
        self._grow_sums(r0 + n)
        meta = self.meta[r0 : r0 + n]
        d_lens = np.fromiter(map(len, digits), dtype=np.int64, count=n)
        codes = np.frombuffer("".join(raw).encode("utf-32-le"), dtype=np.uint32)
        a_lens = np.fromiter(map(len, raw), dtype=np.int64, count=n)
        for col, flat, count, values, lens in ((0, "d_flat", "n_digits", None, d_lens), (2, "f_flat", "n_fids", fids, counts),
                                               (4, "arena", "n_arena", codes, a_lens)):
            at, total = getattr(self, count), int(lens.sum())
            self._grow(flat, at + total)
            if values is None:
                values = np.fromiter(chain.from_iterable(digits), dtype=np.int64, count=total)
            getattr(self, flat)[at : at + total] = values
            meta[:, col] = at + np.cumsum(lens) - lens
            meta[:, col + 1] = lens
            setattr(self, count, at + total)
        if uq is not None:
            self.UQ[0][r0 : r0 + n] = uq
        elif m._char is not None and len(fids):
            self.UQ[0][r0 : r0 + n] = _sums_numpy(fids, counts, m._groups[0].char_u, m._char_idf2)
        self.n_rows += n
        rows = np.arange(r0, r0 + n, dtype=np.int64)
        if _kernel is not None:
            _kernel.insert(list(raw), rows, self.slots)
        else:
            self.rows.update(zip(raw, range(r0, r0 + n)))
        return rows

    def _grow(self, name: str, need: int) -> None:
        setattr(self, name, _grown(getattr(self, name), need))

    def _grow_sums(self, need: int) -> None:
        self.UQ = [_grown(a, need) for a in self.UQ]


def _grown(arr: np.ndarray, need: int) -> np.ndarray:
    """``arr``, or a copy with room for ``need`` rows (at least twice as many)."""
    if need <= len(arr):
        return arr
    bigger = np.zeros((max(need, 2 * len(arr)),) + arr.shape[1:], dtype=arr.dtype)
    bigger[: len(arr)] = arr
    return bigger


def _sums_numpy(fids: np.ndarray, counts: np.ndarray, char_u: np.ndarray, idf2: np.ndarray) -> np.ndarray:
    """``[U, Q]`` rows of words whose sorted feature ids are ``fids`` (``counts`` per word), as the kernel sums them."""
    n = len(counts)
    out = np.zeros((n, char_u.shape[1] + 1))
    if len(fids):
        starts = np.cumsum(counts) - counts
        has = np.flatnonzero(counts)
        out[has, :-1] = np.add.reduceat(char_u[fids], starts[has], axis=0)
        out[:, -1] = np.bincount(np.repeat(np.arange(n), counts), weights=idf2[fids], minlength=n)
    return out


class _Columns:
    """A group of output columns that the cache sums and the kernels score together.

    Attributes
    ----------
    cols : ndarray of int
        The group's columns of the weights.
    W : ndarray
        ``weights[:, cols]``, contiguous (the kernels read a feature's row at once).
    b : ndarray
        Their intercepts.
    char_u : ndarray or None
        ``idf * W`` of the character block, what a word's ``U`` sums, with rows in the cache's order of
        character features (see ``CompiledModel._char_order``).
    """

    def __init__(self, model: "CompiledModel", W: np.ndarray, cols: np.ndarray) -> None:
        self.cols = cols
        self.W = W if len(cols) == W.shape[1] else np.ascontiguousarray(W[:, cols])
        self.b = model._b[cols]
        c = model._char
        self.char_u = None
        if c is not None:
            self.char_u = np.take(self.W[c.offset : c.offset + c.n_features], model._char_order, axis=0)
            self.char_u *= c.idf[model._char_order][:, None]


class CompiledModel:
    """Scores paragraphs like the fitted :class:`~stancecls.model.StanceClassifier` it was exported from.

    Build one with :func:`stancecls.bundle.read_bundle`. It is thread-safe:
    the only shared state is the token cache, which is filled under a lock.

    Attributes
    ----------
    topics_, stances_ : ndarray of str
    thresholds_ : ndarray of float
    multi_label : bool
    header : dict
        The bundle's JSON header.
    """

    def __init__(self, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.header = header
        self.topics_ = np.asarray(header["topics"], dtype=object)
        self.stances_ = np.asarray(header["stances"], dtype=object)
        self.thresholds_ = np.asarray(header["thresholds"], dtype=np.float64)
        self.multi_label = bool(header["multi_label"])
        pre = header["preprocessing"]
        self._stem = bool(pre["stem"])
        self._protected = frozenset(PROTECTED_WORDS if pre["protected_words"] is None else pre["protected_words"])
        self._stopwords = stop_words() if pre["stopwords"] else frozenset()
        words = bytes(_array(arrays, "word_tokens", np.uint8, 1)).decode("utf-8")
        tokens = words.split("\n") if words else []
        self._token_index = {t: i + 1 for i, t in enumerate(tokens)}  # digits 1..V; V+1 unknown; V+2 separator
        self._unknown_token = len(tokens) + 1
        self._sep_token = len(tokens) + 2
        self._word = _Block(arrays, "word", header["word"])
        self._char = _Block(arrays, "char", header["char"]) if header.get("char") else None
        if self._char is not None:
            alphabet = _array(arrays, "char_alphabet", np.int64, 1)
            if len(alphabet) and (alphabet.min() < 0 or alphabet.max() > 0x10FFFF or (np.diff(alphabet) <= 0).any()):
                raise ValueError("the character alphabet is not sorted code points")
            self._unknown_char = len(alphabet) + 1
            bmp = np.full(0x10000, self._unknown_char, dtype=np.int64)
            small = alphabet[alphabet < 0x10000]
            bmp[small] = np.searchsorted(alphabet, small) + 1
            self._bmp = bmp
            self._alphabet = alphabet
        # scores = X @ W + b, then one link per output group
        W = np.ascontiguousarray(arrays["weights"])
        self._b = arrays["intercepts"]
        self._heads = header["heads"]
        self._calibration = {k: arrays[k] for k in arrays if k.startswith("cal_")}
        self._check(arrays)
        self._lock = threading.Lock()
        self._local = threading.local()
        if self._char is not None:
            # The cache and the kernels number character features by falling frequency (rising idf), not in
            # vocabulary order: the n-grams that most words hold then share a few pages of the per-feature tables
            # (tallies, idf, weights), which stay in the CPU's nearest caches. The sort key is idf to 1/4096 in
            # 16 bits, which NumPy sorts by radix in a millisecond at each load (a float sort takes five).
            key = np.minimum((self._char.idf - self._char.idf.min()) * 4096, 65535).astype(np.uint16)
            self._char_order = np.argsort(key, kind="stable")
            rank = np.empty_like(self._char_order)
            rank[self._char_order] = np.arange(len(self._char_order))
            self._char_table = self._char.table.renumbered(rank)  # the block's table, in the cache's numbering
            self._char_pairs = self._char_table.pairs()
            self._char_idf2 = (self._char.idf * self._char.idf)[self._char_order]
        self._word_pairs = self._word.table.pairs()
        # the groups hold the weights, as column blocks; _W puts them together again when it is asked for
        self._groups = [_Columns(self, W, cols) for cols in self._column_groups()]
        # the groups that topic probabilities need: the first holds every topic column (see _column_groups)
        has_topic_columns = any(h["part"] == "topic" and h["columns"][1] > h["columns"][0] for h in self._heads)
        self._topic_groups = [0] if has_topic_columns else []
        # the fast path joins a batch with a separator that no vocabulary n-gram may hold
        self._fast = self._char is None or not np.isin(1, self._alphabet)
        self._cache = _Cache(self)
        self._names = _Names(self, tokens)

    def _check(self, arrays: dict[str, np.ndarray]) -> None:
        """Shapes and ranges, so that a damaged or hostile bundle is refused at load time."""
        k, s = len(self.topics_), len(self.stances_)
        if not k or not s or len(self.thresholds_) != k or not all(isinstance(t, str) for t in (*self.topics_, *self.stances_)):
            raise ValueError("topics, stances or thresholds do not fit together")
        W = _array(arrays, "weights", np.float64, 2)
        _array(arrays, "intercepts", np.float64, 1)
        total = self._word.n_features + (self._char.n_features if self._char is not None else 0)
        if W.shape != (total, len(self._b)):
            raise ValueError(f"weights are {W.shape}, expected ({total}, {len(self._b)})")
        if self._word.offset != 0 or (self._char is not None and self._char.offset != self._word.n_features):
            raise ValueError("block offsets do not match the weights")
        if not isinstance(self._heads, list):
            raise ValueError("heads must be a list")
        self._heads = [self._checked_head(h, W.shape[1], k, s, arrays) for h in self._heads]

    def _column_groups(self) -> list[np.ndarray]:
        """The topic heads' output columns, then the stance heads': the cache sums a word's topic columns when it
        learns the word and its stance columns only when asked to. One group of all columns when the heads do not
        split them so."""
        k = len(self._b)
        parts = [[c for h in self._heads if h["part"] == part for c in range(*h["columns"])]
                 for part in ("topic", "stance")]
        if all(parts) and sorted(parts[0] + parts[1]) == list(range(k)):
            return [np.array(p, dtype=np.int64) for p in parts]
        return [np.arange(k)]

    @functools.cached_property
    def _W(self) -> np.ndarray:
        """All the weights, ``(n_features, n_outputs)``, for explanations and the reference path (the scoring
        path reads the groups' blocks)."""
        if len(self._groups) == 1:
            return self._groups[0].W
        W = np.empty((self._groups[0].W.shape[0], len(self._b)))
        for g in self._groups:
            W[:, g.cols] = g.W
        return W

    @staticmethod
    def _checked_head(h: dict, n_cols: int, k: int, s: int, arrays: dict[str, np.ndarray]) -> dict:
        def integer(v) -> int:
            if not isinstance(v, int) or isinstance(v, bool):
                raise ValueError(f"{v!r} is not an integer")
            return v

        def number(v) -> float:
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                raise ValueError(f"{v!r} is not a finite number")
            return float(v)

        if not isinstance(h, dict) or h.get("part") not in ("topic", "stance"):
            raise ValueError("a head is not a topic or stance head")
        lo, hi = (integer(v) for v in h["columns"])
        if not 0 <= lo <= hi <= n_cols:
            raise ValueError("a head's columns are out of range")
        targets = [integer(t) for t in h["targets"]]
        limit = k if h["part"] == "topic" else s
        if not all(-1 <= t < limit for t in targets):
            raise ValueError("a head's targets are out of range")
        out = {"part": h["part"], "link": h.get("link"), "columns": [lo, hi], "targets": targets}
        if h["part"] == "stance":
            out["topic"] = integer(h["topic"])
            if not 0 <= out["topic"] < k:
                raise ValueError("a stance head names no topic")
        link, width = out["link"], hi - lo
        if link == "constant":
            out["proba"] = [number(p) for p in h["proba"]]
            if width or len(out["proba"]) != len(targets) or not all(0 <= p <= 1 for p in out["proba"]):
                raise ValueError("a constant head does not fit")
        elif link == "softmax":
            if width < 2 or width != len(targets):
                raise ValueError("a softmax head does not fit its columns")
        elif link == "logistic":
            if width != 1 or len(targets) != 2:
                raise ValueError("a logistic head does not fit its columns")
        elif link in ("sigmoid", "isotonic"):
            if width != 1 or len(targets) != 1:
                raise ValueError(f"a {link} head does not fit its columns")
            if link == "sigmoid":
                out["a"], out["b"] = number(h["a"]), number(h["b"])
            else:
                out["name"] = str(h["name"])
                x, y = (_array(arrays, f"cal_{out['name']}_{v}", np.float64, 1) for v in "xy")
                if len(x) < 1 or len(x) != len(y):
                    raise ValueError("an isotonic head's thresholds do not fit")
        else:
            raise ValueError(f"unknown link {link!r}")
        return out

    # ----------------------------------------------------------- features
    @functools.cached_property
    def _resolver(self):
        """What ``_kernel.plain_learn`` needs to give new tokens their word ids itself (as ``_token_ids``), or
        None when the compiled stemmer is not built, and Python does it. Made on first use: it loads the
        stemmer, which a model that only explains or describes itself never needs."""
        fast = _fast_stemmer() if self._stem else None
        if fast is False:
            return None
        return self._token_index, self._unknown_token, self._protected, self._stopwords, fast.stem if fast else None

    def _token_ids(self, raw: str) -> tuple[int, ...]:
        """Word digits of one raw regex token: hyphen parts, stop words, stemming, as in ``Preprocessor``."""
        if "-" in raw:
            parts = raw.split("-")
            parts = [parts[0]] if len(parts) == 2 and parts[0] == parts[1] else [p for p in parts if p]
        else:
            parts = [raw]
        if self._stopwords:
            parts = [p for p in parts if p not in self._stopwords]
        if self._stem:
            parts = [stem(p, self._protected) for p in parts]
        unknown = self._unknown_token
        return tuple(self._token_index.get(p, unknown) for p in parts)

    def _word_codes(self, normed: list[str]):
        per_para = [[d for tok in _TOKEN.findall(t) for d in self._token_ids(tok)] for t in normed]
        lengths = np.fromiter((len(p) for p in per_para), dtype=np.int64, count=len(per_para))
        digits = np.fromiter(chain.from_iterable(per_para), dtype=np.int64, count=int(lengths.sum()))
        rows = np.repeat(np.arange(len(normed)), lengths)
        out = []
        for n, codes in _ngram_codes(digits, self._word.base, self._word.max_n):
            valid = None if n == 1 else rows[: len(codes)] == rows[n - 1 :]  # an n-gram stays in its paragraph
            out.append((n, codes, valid))
        return rows, out

    def _char_codes(self, normed: list[str]):
        if len(normed) == 1:  # no separator: the text may hold any character
            text = " " + "  ".join(normed[0].split()) + " "
            cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
            return np.zeros(len(cp), dtype=np.int64), self._char_ngrams(self._char_digits(cp))
        # char_wb n-grams come from each word padded with one space on either side; in
        # " w1  w2 " every n-gram that crosses a word has an inner space, and no vocabulary
        # n-gram has one, so all positions can be looked up without a boundary test.
        text = " " + "  ".join((" " + _SEP + " ").join(normed).split()) + " "
        cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        digits = self._char_digits(cp)
        sep = cp == 1
        digits[sep] = self._unknown_char  # the separator is in no vocabulary n-gram
        return np.cumsum(sep), self._char_ngrams(digits)

    def _char_digits(self, cp: np.ndarray) -> np.ndarray:
        digits = self._bmp[np.minimum(cp, 0xFFFF)]
        astral = np.flatnonzero(cp > 0xFFFF)
        if len(astral):
            a = self._alphabet
            i = np.minimum(np.searchsorted(a, cp[astral]), len(a) - 1)
            digits[astral] = np.where(a[i] == cp[astral], i + 1, self._unknown_char)
        return digits

    def _char_ngrams(self, digits: np.ndarray):
        return [(n, codes, None) for n, codes in _ngram_codes(digits, self._char.base, self._char.max_n)]

    def transform(self, texts: Sequence[str]):
        """TF-IDF entries of paragraphs: ``(rows, feature_ids, values)``, the same matrix as the pipeline's."""
        texts = list(texts)
        if len(texts) > 1 and any(_SEP in t for t in texts):
            parts = [self.transform([t]) for t in texts]
            return (np.concatenate([p[0] + i for i, p in enumerate(parts)]),
                    np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]))
        normed = [normalize(t) for t in texts]
        n = len(texts)
        rows, codes = self._word_codes(normed)
        blocks = [self._word.tfidf(rows, codes, n)]
        if self._char is not None:
            crows, ccodes = self._char_codes(normed)
            blocks.append(self._char.tfidf(crows, ccodes, n))
        return tuple(np.concatenate(parts) for parts in zip(*blocks))

    # ------------------------------------------------------------ scores
    def decision_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Raw linear scores ``X @ W + b`` of every output, shape ``(n, n_outputs)``."""
        return self._scores(list(texts), range(len(self._groups)))

    def _scores(self, texts: list[str], groups: Sequence[int]) -> np.ndarray:
        """Linear scores of the output columns of ``groups`` (other columns hold their intercepts)."""
        n = len(texts)
        out = np.tile(self._b, (n, 1))
        if not n or not len(groups):
            return out
        if n > _CHUNK:
            # a paragraph's scores do not depend on its batch, and batches that fit in the CPU caches run
            # twice as fast as one huge batch
            for lo in range(0, n, _CHUNK):
                out[lo : lo + _CHUNK] = self._scores(texts[lo : lo + _CHUNK], groups)
            return out
        if not self._fast:
            return self._reference_scores(texts, out)
        joined = _JOIN.join(texts)
        if joined.count(_SEP) != n - 1:
            # Paragraphs that hold the separator themselves take the reference path, one by one, so a
            # paragraph's scores never depend on the batch it came in.
            odd = [i for i, t in enumerate(texts) if _SEP in t]
            rest = [i for i, t in enumerate(texts) if _SEP not in t]
            for i in odd:
                out[i] = self._reference_scores([texts[i]], out[i : i + 1])[0]
            if rest:
                out[rest] = self._scores([texts[i] for i in rest], groups)
            return out
        # NFKC and lower-casing happen once per distinct raw word, in the cache
        if _kernel is not None:
            with self._lock:
                rows, tables = self._cache.find(joined, groups)
            meta, d_flat, f_flat, UQ = tables
            w = self._word
            # one pass per paragraph over its words (see _kernel.c), for one group of columns or two at once
            cols = [self._groups[g] for g in groups]
            sums = [UQ[g] for g in groups]
            outs = [out if len(c.cols) == out.shape[1] else np.tile(c.b, (n, 1)) for c in cols]
            second = len(cols) == 2
            _kernel.word_scores(rows, meta, d_flat, self._word_pairs, w.idf, cols[0].W, w.base, w.min_n, w.max_n,
                                w.sublinear_tf, n, outs[0], *([cols[1].W, outs[1]] if second else []))
            if self._char is not None:
                _kernel.char_scores(rows, meta, f_flat, sums[0], cols[0].char_u, self._char_idf2,
                                    self._char.sublinear_tf, n, outs[0], self._scratch(),
                                    *([sums[1], cols[1].char_u, outs[1]] if second else []))
            for c, o in zip(cols, outs):
                if o is not out:
                    out[:, c.cols] = o
            return out
        with self._lock:
            rows, tables = self._cache.lookup(joined.split(), groups)
        self._scores_numpy(rows, tables, n, out, groups)
        return out

    def _scratch(self) -> np.ndarray:
        """This thread's scratch for ``_kernel.char_scores`` (see there), made once: a megabyte or two that would
        otherwise be asked of the system, and zeroed, for every batch."""
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = np.zeros(2 * self._char.n_features + 2, dtype=np.int64)
        return scratch

    def _scores_numpy(self, rows, tables, n: int, out: np.ndarray, groups: Sequence[int]) -> None:
        meta, d_flat, f_flat, UQ = tables
        digits = _ragged(d_flat, meta[:, 0], meta[:, 1], rows)
        # word n-grams: those over a separator hold its digit, so no vocabulary code matches them
        para = np.cumsum(digits == self._sep_token)
        codes = [(k, c, None) for k, c in _ngram_codes(digits, self._word.base, self._word.max_n)]
        r, feats, vals = self._word.tfidf(para, codes, n)
        starts = np.flatnonzero(np.concatenate(([True], r[1:] != r[:-1]))) if len(r) else None
        parts = []
        for g in groups:
            cols = self._groups[g]
            o = np.tile(cols.b, (n, 1))
            if len(r):
                o[r[starts]] += np.add.reduceat(cols.W[feats] * vals[:, None], starts, axis=0)
            parts.append((cols, UQ[g], o))
        if self._char is not None:
            self._char_scores_numpy(rows, meta, f_flat, n, parts)
        for cols, _, o in parts:
            out[:, cols.cols] = o

    def _reference_scores(self, texts: list[str], out: np.ndarray) -> np.ndarray:
        rows, cols, vals = self.transform(texts)
        if len(rows):
            order = np.argsort(rows, kind="stable")
            rows, cols, vals = rows[order], cols[order], vals[order]
            starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
            out[rows[starts]] += np.add.reduceat(self._W[cols] * vals[:, None], starts, axis=0)
        return out

    def _char_scores_numpy(self, rows, meta, f_flat, n: int, parts) -> None:
        """Add the character block's scores to each ``(columns, UQ, out)`` of ``parts``."""
        c = self._char
        sep = rows == 0
        para = np.cumsum(sep)
        # drop the separators: a row's sums must run over its own words only, as when it is scored alone
        # (NumPy's pairwise summation groups terms by count, so one extra zero changes the last bit)
        keep = ~sep
        rows, para = rows[keep], para[keep]
        if not len(rows):
            return
        firsts = np.flatnonzero(np.concatenate(([True], para[1:] != para[:-1])))
        sums = []
        for _, UQ, _ in parts:
            S = np.zeros((n, UQ.shape[1] - 1))
            S[para[firsts]] = np.add.reduceat(UQ[rows, :-1], firsts, axis=0)
            sums.append(S)
        N2 = np.bincount(para, weights=parts[0][1][rows, -1], minlength=n)  # Q is the same in every group
        # every n-gram occurrence of each paragraph, to find the features it holds more than once
        L = meta[rows, 3]
        fids = _ragged(f_flat, meta[:, 2], meta[:, 3], rows)
        if not len(fids):
            return
        # int32 keys when they fit: sorting them is about twice as fast
        kt = np.int32 if n * c.n_features < 2**31 else np.int64
        keys = np.repeat(para.astype(kt), L) * kt(c.n_features) + fids.astype(kt)
        keys.sort()
        dup = np.flatnonzero(keys[1:] == keys[:-1])
        if len(dup):
            rk, cnt = np.unique(keys[dup], return_counts=True)  # sorted by row, then feature
            cnt = cnt + 1.0
            r, f = np.divmod(rk, c.n_features)
            g = np.log(cnt) + 1.0 if c.sublinear_tf else cnt
            firsts = np.flatnonzero(np.concatenate(([True], r[1:] != r[:-1])))
            for (cols, _, _), S in zip(parts, sums):
                S[r[firsts]] += np.add.reduceat((g - cnt)[:, None] * cols.char_u[f], firsts, axis=0)
            N2 += np.bincount(r, weights=(g * g - cnt) * self._char_idf2[f], minlength=n)
        nz = N2 > 0
        for (_, _, out), S in zip(parts, sums):
            out[nz] += S[nz] / np.sqrt(N2[nz])[:, None]

    def predict_all(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Topic probabilities ``(n, n_topics)`` and stance probabilities ``(n, n_topics, n_stances)``."""
        return self._probabilities(list(texts), stance=True)

    def _probabilities(self, texts: list[str], stance: bool) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`predict_all`; with ``stance=False`` the stance columns are not computed and stay zero."""
        scores = self._scores(texts, range(len(self._groups)) if stance else self._topic_groups)
        n, k, s = scores.shape[0], len(self.topics_), len(self.stances_)
        topic = np.zeros((n, k))
        stance_p = np.zeros((n, k, s))
        for head in self._heads:
            if head["part"] == "stance" and not stance:
                continue
            cols = head["columns"]
            d = scores[:, cols[0] : cols[1]]
            p = _link(head, d, self._calibration)
            target = topic if head["part"] == "topic" else stance_p[:, head["topic"], :]
            for c, index in enumerate(head["targets"]):
                if index >= 0:  # -1: a class that is not reported (the negative class of a topic)
                    target[:, index] = p[:, c]
        return topic, stance_p

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Topic probabilities, shape ``(n_paragraphs, n_topics)``: the same as :meth:`predict_all`'s, bit for bit,
        without computing the stance scores."""
        return self._probabilities(list(texts), stance=False)[0]

    def decide(self, topic_proba) -> np.ndarray:
        """Topic decisions: thresholds, or the arg-max when the model is single-label."""
        topic_proba = np.asarray(topic_proba)
        if self.multi_label:
            return topic_proba >= self.thresholds_
        out = np.zeros(topic_proba.shape, dtype=bool)
        if topic_proba.shape[0]:
            out[np.arange(topic_proba.shape[0]), topic_proba.argmax(axis=1)] = True
        return out


def _expit(x: np.ndarray) -> np.ndarray:
    # the logistic function without overflow warnings for large |x|
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def _link(head: dict, d: np.ndarray, calibration: dict) -> np.ndarray:
    """Probabilities of a head's classes (in ``head["targets"]`` order) from its linear scores."""
    kind = head["link"]
    if kind == "constant":
        return np.tile(np.asarray(head["proba"], dtype=np.float64), (d.shape[0], 1))
    if kind == "softmax":
        z = d - d.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        return z / z.sum(axis=1, keepdims=True)
    if kind == "logistic":  # a binary logistic regression: classes (negative, positive)
        p = _expit(d[:, 0])
        return np.stack([1.0 - p, p], axis=1)
    if kind == "sigmoid":  # Platt scaling of a binary classifier's score
        a, b = head["a"], head["b"]
        p = _expit(-(a * d[:, 0] + b))
        return p[:, None]
    if kind == "isotonic":
        x = calibration[f"cal_{head['name']}_x"]
        y = calibration[f"cal_{head['name']}_y"]
        return np.interp(np.clip(d[:, 0], x[0], x[-1]), x, y)[:, None]
    raise ValueError(f"unknown link {kind!r} in the bundle")


class _Names:
    """N-gram names of a bundle's columns, decoded from the hash-table keys (the bundle stores no strings)."""

    def __init__(self, model: CompiledModel, tokens: list[str]) -> None:
        self.model = model
        self.tokens = tokens
        self._cols: dict[str, np.ndarray] = {}

    def _codes(self, block: _Block) -> np.ndarray:
        key = "word" if block is self.model._word else "char"
        if key not in self._cols:
            codes = np.zeros(block.n_features, dtype=np.int64)
            used = block.table.keys != -1
            codes[block.table.values[used]] = block.table.keys[used]
            self._cols[key] = codes
        return self._cols[key]

    @staticmethod
    def _digits(code: int, base: int) -> list[int]:
        out = []
        while code:
            code, d = divmod(code - 1, base)  # bijective base: digits 1..base-1
            out.append(d + 1)
        return out[::-1]

    def name(self, col: int) -> str:
        m = self.model
        if col < m._word.n_features:
            digits = self._digits(int(self._codes(m._word)[col]), m._word.base)
            return " ".join(self.tokens[d - 1] for d in digits)
        c = m._char
        digits = self._digits(int(self._codes(c)[col - c.offset]), c.base)
        # the padding spaces of char_wb n-grams shown as "␣", so that "cam␣" reads as the end of a word
        return "".join(chr(int(m._alphabet[d - 1])) for d in digits).replace(" ", "\u2423")


def explain(model: CompiledModel, text: str, k: int = 10) -> dict[str, Any]:
    """The n-grams that moved each topic and stance score of one paragraph, exactly.

    A linear model's score is ``intercept + Σ tfidf(f) · w(f)``; this lists the
    largest terms of that sum. For a stance (a softmax over stances) the terms
    are those of the chosen stance's score minus the mean of all stances'
    scores, so they too add up exactly, with the intercept, to what decided.

    Returns
    -------
    dict
        ``{"topics": {topic: {"probability", "score", "intercept", "features"}},
        "stance": {topic: {"stance", "probability", "score", "intercept", "features"}}}``;
        ``features`` is a list of ``[n-gram, contribution]``, largest magnitude first,
        word n-grams as ``w:`` and character n-grams as ``c:``.
    """
    names = model._names
    rows, cols, vals = model.transform([text])
    topic_p, stance_p = model.predict_all([text])
    topics, stances = list(model.topics_), list(model.stances_)

    def top(weights: np.ndarray, intercept: float) -> dict:
        contrib = vals * weights[cols]
        order = np.argsort(-np.abs(contrib), kind="stable")[:k]
        feats = [[("w:" if cols[i] < model._word.n_features else "c:") + names.name(int(cols[i])), float(contrib[i])]
                 for i in order if contrib[i] != 0]
        return {"score": float(intercept + contrib.sum()), "intercept": float(intercept), "features": feats}

    out: dict[str, Any] = {"topics": {}, "stance": {}}
    W, b = model._W, model._b
    for head in model._heads:
        lo, hi = head["columns"]
        if head["part"] == "topic" and hi > lo:
            for c, j in enumerate(head["targets"]):
                if j < 0:
                    continue
                col = lo + (0 if hi - lo == 1 else c)
                if head["link"] == "softmax":  # single-label: the class's score against the mean of all
                    w, icpt = W[:, col] - W[:, lo:hi].mean(axis=1), b[col] - b[lo:hi].mean()
                else:
                    w, icpt = W[:, col], b[col]
                out["topics"][topics[j]] = {"probability": float(topic_p[0, j]), **top(w, icpt)}
        elif head["part"] == "stance" and hi > lo:
            t = head["topic"]
            s = int(np.argmax(stance_p[0, t]))
            if head["link"] == "softmax":
                col = lo + head["targets"].index(s)
                w, icpt = W[:, col] - W[:, lo:hi].mean(axis=1), b[col] - b[lo:hi].mean()
            else:  # logistic: the positive class's score; its sign favours targets[1]
                sign = 1.0 if head["targets"].index(s) == 1 else -1.0
                w, icpt = sign * W[:, lo], sign * b[lo]
            out["stance"][topics[t]] = {"stance": stances[s], "probability": float(stance_p[0, t, s]), **top(w, icpt)}
    return out


def top_features(model: CompiledModel, k: int = 10) -> dict[str, Any]:
    """The heaviest n-grams of every topic and of every stance toward every topic.

    Topic weights are those of the topic's linear score; stance weights are a
    stance's weight minus the mean over stances (what moves that stance ahead
    of the others), so positive means "pushes toward". Weights act on TF-IDF
    values, which are at most 1.
    """
    names, W = model._names, model._W
    topics, stances = list(model.topics_), list(model.stances_)

    def top(w: np.ndarray) -> list:
        order = np.argsort(-w, kind="stable")[:k]
        return [[("w:" if c < model._word.n_features else "c:") + names.name(int(c)), float(w[c])] for c in order]

    out: dict[str, Any] = {"topics": {}, "stance": {}}
    for head in model._heads:
        lo, hi = head["columns"]
        if hi == lo:
            continue
        if head["part"] == "topic":
            for c, j in enumerate(head["targets"]):
                if j >= 0:
                    col = lo + (0 if hi - lo == 1 else c)
                    w = W[:, col] - W[:, lo:hi].mean(axis=1) if head["link"] == "softmax" else W[:, col]
                    out["topics"][topics[j]] = top(w)
        else:
            per = {}
            for c, s in enumerate(head["targets"]):
                if head["link"] == "softmax":
                    w = W[:, lo + c] - W[:, lo:hi].mean(axis=1)
                else:
                    w = W[:, lo] if c == 1 else -W[:, lo]
                per[stances[s]] = top(w)
            out["stance"][topics[head["topic"]]] = per
    return out
