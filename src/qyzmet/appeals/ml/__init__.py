"""The appeals routing model: category, sub-category ("reason") and responsible organisation,
each with a calibrated confidence, plus the district at a point.

This package is the only place that knows how the model works; the appeals app, the background
retraining task, the `appeals_train` / `appeals_predict` commands and the benchmark all go through
the interface below and nothing else (ADR 0050).

Interface::

    FEATURE_FIELDS = ("text", "created", "district", "lat", "lon", "address")
        the ONLY fields a prediction may read; every other key of an input record is dropped
        before the model sees it, so labels present in the input cannot leak into the output.

    Prediction(category, category_confidence, reason, reason_confidence,
               responsible_org, responsible_org_confidence)      frozen dataclass; .as_dict()

    RoutingModel.load(path) -> RoutingModel
        raises ModelLoadError when anything is wrong (missing file, sha256 manifest mismatch,
        unreadable pickle, wrong format version). SECURITY: the files are joblib pickles, and
        unpickling is code execution. Load models only from the platform's own model store,
        never from a directory an outsider can write to; the manifest check catches tampering
        and truncation of a stored model, not a forged model with a forged manifest (pass
        `expected_manifest_sha256=` from the model registry to close that gap too).
    RoutingModel.predict(records) -> list[Prediction]
    RoutingModel.district_from_point(lat, lon) -> str | None
        the district learned from the training places by nearest neighbours; None when the
        point is farther than `DISTRICT_MAX_KM` from every training place (outside the
        jurisdiction) or not a number.
    RoutingModel.metadata: dict
        version, created_at, data fingerprint, n_train, out-of-fold metrics (cross-fitting on the
        training data), category confusion matrix, calibration summary (temperatures, category
        prior exponent, ECE), per-category auto-route thresholds, label lists.
    RoutingModel.auto_route(prediction) -> bool
        True when the category confidence reaches the threshold of the predicted category.

    train(records, *, out_dir, progress=None, seed=0) -> dict   writes the model dir
        (fits run in up to N_JOBS = 2 worker processes; one after the other inside a daemonic
        process such as a Celery worker)
    cross_validate(records, *, folds=5, seed=0, progress=None) -> dict
        honest K-fold of our model and of the TF-IDF + logistic-regression baseline
    time_split_validate(records, *, progress=None) -> dict   earlier months -> last month
    read_jsonl(path) -> Iterator[dict]                         .jsonl or .jsonl.gz
    auto_route_threshold(confidences, correct, target_precision=0.98) -> float
"""

from .data import FEATURE_FIELDS, read_jsonl
from .evaluate import cross_validate, time_split_validate
from .model import (
    DISTRICT_MAX_KM,
    ModelLoadError,
    Prediction,
    RoutingModel,
    auto_route_threshold,
    train,
)

__all__ = [
    "DISTRICT_MAX_KM",
    "FEATURE_FIELDS",
    "ModelLoadError",
    "Prediction",
    "RoutingModel",
    "auto_route_threshold",
    "cross_validate",
    "read_jsonl",
    "time_split_validate",
    "train",
]
