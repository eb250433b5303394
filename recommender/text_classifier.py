"""Fallback spending-category classifier for descriptions no MCC or rule explains.

Character n-grams (``char_wb``, 1-3 characters by default) work for Chinese,
which has no spaces between words, and for English merchant names alike:
"川味小馆" and "小馆" share "小馆"; "Noodle Bar" and "Noodle House" share
"noodl". Text is normalised like the rules' text, with digits removed so
order numbers do not look like features.

The default model is trained from recommender/data/merchant_labels.csv the
first time it is needed and cached for the life of the process. A bank can
pass its own fitted object (anything with ``predict_proba_top``) to
``categorise(..., classifier=...)`` or point
``CategorisationPolicy.merchant_labels_path`` at its own labelled file.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Protocol, Sequence

import numpy as np
import pandas as pd

from recommender.merchant_rules import classifier_form

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

DEFAULT_LABELS_PATH = Path(__file__).resolve().parent / "data" / "merchant_labels.csv"


class CategoryClassifier(Protocol):
    def predict_proba_top(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]: ...


class MerchantClassifier:
    """TF-IDF over character n-grams + multinomial logistic regression.

    >>> clf = MerchantClassifier().fit(["川味小馆", "FreshMart Supermarket"], ["dining", "groceries"])
    >>> labels, confidences = clf.predict_proba_top(["老李小馆"])
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 3), regularisation_c: float = 10.0):
        self.ngram_range = tuple(ngram_range)
        self.regularisation_c = regularisation_c
        self.pipeline_: Pipeline | None = None

    def fit(self, texts: Iterable[str], labels: Iterable[str]) -> "MerchantClassifier":
        """texts, labels: equal-length sequences of raw descriptions and category names."""
        # Imported here: scikit-learn takes seconds to import and most callers
        # (features, summaries, a warm API worker) never train.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        cleaned = [classifier_form(str(t)) for t in texts]
        labels = list(labels)
        if len(set(labels)) < 2:
            raise ValueError("need at least two categories to train the merchant classifier")
        self.pipeline_ = Pipeline([
            ("tfidf", TfidfVectorizer(analyzer="char_wb", ngram_range=self.ngram_range,
                                      lowercase=True, sublinear_tf=True)),
            ("logreg", LogisticRegression(C=self.regularisation_c, max_iter=2000)),
        ])
        self.pipeline_.fit(cleaned, labels)
        return self

    @property
    def classes_(self) -> np.ndarray:
        return self._fitted().classes_

    def predict_proba_top(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Most likely category of each text and its predicted probability.

        texts: n raw descriptions. Returns (labels: object array (n,),
        confidences: float64 array (n,) in [0, 1]).
        """
        texts = list(texts)
        if not texts:
            return np.array([], dtype=object), np.array([], dtype=np.float64)
        cleaned = [classifier_form(str(t)) for t in texts]
        pipeline = self._fitted()
        # The pipeline's steps called directly: same numbers, less per-call checking overhead.
        proba = pipeline[-1].predict_proba(pipeline[0].transform(cleaned))
        best = proba.argmax(axis=1)
        return self.classes_[best].astype(object), proba[np.arange(len(texts)), best].astype(np.float64)

    def _fitted(self) -> Pipeline:
        if self.pipeline_ is None:
            raise RuntimeError("MerchantClassifier is not fitted; call fit() first")
        return self.pipeline_


def load_labels(path: str | Path | None = None) -> pd.DataFrame:
    """The labelled descriptions: columns description, category, language."""
    frame = pd.read_csv(path or DEFAULT_LABELS_PATH, dtype=str, keep_default_na=False)
    missing = {"description", "category"} - set(frame.columns)
    if missing:
        raise ValueError(f"merchant labels file lacks columns {sorted(missing)}")
    return frame


@lru_cache(maxsize=4)
def default_classifier(labels_path: str | None = None, ngram_range: tuple[int, int] = (1, 3),
                       regularisation_c: float = 10.0) -> MerchantClassifier:
    """Trained once per process (per distinct arguments) and cached."""
    labels = load_labels(labels_path)
    return MerchantClassifier(ngram_range, regularisation_c).fit(labels["description"], labels["category"])
