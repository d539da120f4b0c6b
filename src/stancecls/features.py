"""TF-IDF features: word n-grams of preprocessed tokens plus character n-grams."""

from __future__ import annotations

from numbers import Integral
from typing import Iterator, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .preprocess import Preprocessor, normalize

__all__ = ["TextFeatures", "fold_matrices"]


class TextFeatures(TransformerMixin, BaseEstimator):
    """Word and character TF-IDF features for Indonesian paragraphs.

    Word n-grams are built from :class:`~stancecls.preprocess.Preprocessor`
    tokens (stemmed unless ``stem=False``); character n-grams (``char_wb``)
    from the normalised text catch affixed forms and names the stemmer misses.
    The two blocks are concatenated.

    Parameters
    ----------
    word_ngram_range : tuple of int, default=(1, 2)
        Lower and upper n of word n-grams.
    char_ngram_range : tuple of int or None, default=(2, 5)
        Lower and upper n of character n-grams; ``None`` turns them off.
    stem : bool, default=True
        Stem words with PySastrawi.
    stopwords : bool, default=False
        Remove Indonesian stop words (negations are kept).
    protected_words : iterable of str or None, default=None
        Words never stemmed; ``None`` means the package's list.
    min_df : int, default=1
        Ignore n-grams seen in fewer documents.
    sublinear_tf : bool, default=True
        Use 1 + log(tf).
    max_features : int or None, default=None
        Keep at most this many n-grams per block.
    """

    def __init__(
        self,
        *,
        word_ngram_range=(1, 2),
        char_ngram_range=(2, 5),
        stem=True,
        stopwords=False,
        protected_words=None,
        min_df=1,
        sublinear_tf=True,
        max_features=None,
    ):
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.stem = stem
        self.stopwords = stopwords
        self.protected_words = protected_words
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.max_features = max_features

    def _vectorizers(self) -> list[TfidfVectorizer]:
        common = dict(
            lowercase=False,
            min_df=self.min_df,
            sublinear_tf=self.sublinear_tf,
            max_features=self.max_features,
            dtype=np.float64,
        )
        out = [
            TfidfVectorizer(
                tokenizer=Preprocessor(
                    stem=self.stem, stopwords=self.stopwords, protected_words=self.protected_words
                ),
                token_pattern=None,
                ngram_range=tuple(self.word_ngram_range),
                **common,
            )
        ]
        if self.char_ngram_range is not None:
            out.append(
                TfidfVectorizer(
                    analyzer="char_wb", preprocessor=normalize, ngram_range=tuple(self.char_ngram_range), **common
                )
            )
        return out

    def fit(self, X, y=None):
        """Learn vocabularies and idf weights from the paragraphs ``X``."""
        X = _as_texts(X)
        self.vectorizers_ = [v.fit(X) for v in self._vectorizers()]
        self.n_features_out_ = sum(len(v.vocabulary_) for v in self.vectorizers_)
        return self

    def transform(self, X):
        """TF-IDF matrix (CSR, float64) of the paragraphs ``X``."""
        check_is_fitted(self, "vectorizers_")
        X = _as_texts(X)
        blocks = [v.transform(X) for v in self.vectorizers_]
        return sp.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0].tocsr()

    def get_feature_names_out(self, input_features=None):
        """Names of the features: ``w:<n-gram>`` and ``c:<characters>``."""
        check_is_fitted(self, "vectorizers_")
        names = []
        for prefix, v in zip(("w:", "c:"), self.vectorizers_):
            names.extend(prefix + n for n in v.get_feature_names_out())
        return np.asarray(names, dtype=object)


def fold_matrices(features: TextFeatures, X: Sequence[str], folds) -> Iterator[tuple[sp.csr_matrix, sp.csr_matrix]]:
    """The train and test TF-IDF matrices of every fold, from one pass over the texts.

    For each ``(train, test)`` pair of index arrays, the same matrices, bit for
    bit, as ``clone(features).fit_transform(X[train])`` and ``.transform(X[test])``
    — which would read every text again for every fold. Here each block counts
    the n-grams of all texts once; a fold's vocabulary is then the n-grams that
    its train rows hold in at least ``min_df`` paragraphs (in name order, as
    scikit-learn sorts them), and its idf comes from those rows.

    Parameters
    ----------
    features : TextFeatures
        The settings (not fitted). With ``max_features`` set, each fold is fitted
        the plain way.
    X : sequence of str
    folds : iterable of (train, test) index arrays

    Yields
    ------
    (Z_train, Z_test) : tuple of csr_matrix
    """
    X = _as_texts(X)
    folds = list(folds)
    if features.max_features is not None:  # its cut depends on the fold's term counts: fit each fold
        for train, test in folds:
            f = clone(features)
            yield f.fit_transform([X[i] for i in train]), f.transform([X[i] for i in test])
        return
    def part(cls, v):  # the parameters of v (a TfidfVectorizer) that its counting or weighting part takes
        names = cls().get_params()
        return {k: p for k, p in v.get_params().items() if k in names}

    counting = []
    for v in features._vectorizers():
        counts = CountVectorizer(**{**part(CountVectorizer, v), "min_df": 1}).fit_transform(X)
        counts.sort_indices()  # transform's order: the normalisation sums a row in it
        counting.append((v, counts))
    for train, test in folds:
        blocks = ([], [])
        for v, counts in counting:
            tr = counts[train]
            # scikit-learn's rule: an int is a count of paragraphs, a float a share of them
            least = v.min_df if isinstance(v.min_df, Integral) else v.min_df * len(train)
            keep = np.flatnonzero(np.bincount(tr.indices, minlength=counts.shape[1]) >= max(least, 1))
            tr, te = tr[:, keep], counts[test][:, keep]
            tr.sort_indices()
            te.sort_indices()
            tfidf = TfidfTransformer(**part(TfidfTransformer, v)).fit(tr)
            blocks[0].append(tfidf.transform(tr))
            blocks[1].append(tfidf.transform(te))
        yield tuple(sp.hstack(b, format="csr") if len(b) > 1 else b[0].tocsr() for b in blocks)


def _as_texts(X) -> list[str]:
    if isinstance(X, str):
        raise TypeError("expected a list of paragraphs, got a single string; wrap it in a list")
    texts = list(X)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"expected strings, got {type(texts[bad[0]]).__name__} at position {bad[0]}")
    return texts
