"""TF-IDF features: word n-grams of preprocessed tokens plus character n-grams."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .preprocess import Preprocessor, normalize

__all__ = ["TextFeatures"]


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


def _as_texts(X) -> list[str]:
    if isinstance(X, str):
        raise TypeError("expected a list of paragraphs, got a single string; wrap it in a list")
    texts = list(X)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"expected strings, got {type(texts[bad[0]]).__name__} at position {bad[0]}")
    return texts
