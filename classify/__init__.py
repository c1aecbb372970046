"""Model code shared by flows.train, flows.evaluate and flows.label.

One job per module:

* ``data``: the labelled ok rows of a store as arrays (features read chunk by chunk), speaker groups
* ``protocols``: split functions over speaker groups (loso, speaker-folds:K, kfold:K, cross-corpus)
* ``normalise``: none / global standardisation / per-speaker z-normalisation (transductive)
* ``selection``: ANOVA-F feature selection; ``calibration``: temperature scaling
* ``estimators``: XGBoost, SVM, KNN, MLP, LDA, FCM pipelines, fusion (scikit-learn conventions)
* ``pipeline``: ``ModelSpec`` and ``EmotionModel`` (normalise -> select -> estimate -> calibrate)
* ``modeldir``: ``save_model`` / ``load_model`` (config.json + native files, sha256-checked, no pickle)
* ``evaluation``, ``metrics``, ``report``: running a protocol and writing its report

    >>> import classify
    >>> model = classify.load_model("models/emodb-svm")
    >>> model.check_store(store)                 # FeatureMismatchError on another feature hash
    >>> model.predict_proba(X, groups)           # (n, len(model.labels_))
"""
from classify.data import LabelledData, load_labelled
from classify.errors import DataError, FeatureMismatchError, ModelError, ModelIntegrityError
from classify.estimators import MODEL_KINDS, make_estimator
from classify.modeldir import TrainedModel, load_model, save_model
from classify.pipeline import EmotionModel, ModelSpec
from classify.protocols import Fold, Protocol, make_folds, parse_protocol

__all__ = [
    "MODEL_KINDS",
    "DataError",
    "EmotionModel",
    "FeatureMismatchError",
    "Fold",
    "LabelledData",
    "ModelError",
    "ModelIntegrityError",
    "ModelSpec",
    "Protocol",
    "TrainedModel",
    "load_labelled",
    "load_model",
    "make_estimator",
    "make_folds",
    "parse_protocol",
    "save_model",
]
