"""stancecls: topics and stance of Indonesian news paragraphs on Korean foreign and security policy.

>>> import stancecls
>>> model = stancecls.load()                       # the bundled model
>>> [p.to_dict()["topics"] for p in model.predict(["Korea mengirim bantuan ke Ukraina."])]
[['ukraine_aid']]

Prediction uses the model's pickle-free bundle (arrays and JSON, scored with NumPy): importing
stancecls and predicting never imports scikit-learn. Training, and loading a model's
joblib file (which runs code: load only files you trust), do.
"""

__version__ = "0.1.0"

from .api import Model, Prediction, bundled_model_path, data_sha256, load, train
from .errors import InputError, LabelError, ModelFileError, StanceclsError
from .schema import LabelRecord, LabelSchema, labels_to_matrix, load_labels, load_schema
from .segment import Paragraph, segment

__all__ = [
    "__version__",
    "train",
    "load",
    "Model",
    "Prediction",
    "StanceClassifier",
    "LabelSchema",
    "LabelRecord",
    "load_labels",
    "load_schema",
    "labels_to_matrix",
    "segment",
    "Paragraph",
    "bundled_model_path",
    "data_sha256",
    "StanceclsError",
    "LabelError",
    "InputError",
    "ModelFileError",
]


def __getattr__(name):
    # StanceClassifier pulls in scikit-learn; the predict path must not pay for that import.
    if name == "StanceClassifier":
        from .model import StanceClassifier

        return StanceClassifier
    raise AttributeError(f"module 'stancecls' has no attribute {name!r}")
