"""The routing model: linear classifiers over word + character n-grams of the citizen's text,
the district and a geographic vote of earlier appeals at the same place.

Why this shape (ADR 0050): appeals are short (median 48 characters) and misspelt, so character
n-grams carry much of the signal; the sub-category ("reason") almost determines the category, so
the category is read off the reason scores (P(category) = sum of P(reason) over its reasons), which
beats a separate category classifier on macro-F1 and keeps the two answers consistent; the
responsible organisation depends on district x reason and on the building (a housing agency or
the district administration, whoever manages that house), so its classifier sees the district
crossed with the predicted reason and a vote of the organisations of nearby earlier appeals.
Confidences are isotonic maps of the top score to the observed accuracy on a held-out 20 % of
the training data, and the per-category auto-route thresholds are chosen on that same split.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import platform
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.isotonic import IsotonicRegression
from sklearn.neighbors import KDTree
from sklearn.svm import LinearSVC

from .data import FEATURE_FIELDS, as_float, features_only, fingerprint

FORMAT = "qyzmet-appeals-routing/1"
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
MANIFEST_FILE = "manifest.json"
DISTRICT_MAX_KM = 2.0  # farther than this from every training place = outside the jurisdiction
TARGET_PRECISION = 0.98
NEVER = 1.01  # a threshold no confidence reaches: that category always goes to a person
HOLDOUT_SHARE = 0.2
MIN_THRESHOLD_SUPPORT = 10  # fewer held-out predictions of a category than this: never auto-route
_GEO_RADIUS_KM = 0.05
_GEO_SCALE_KM = 0.02
_GEO_K = 10
_KM_PER_DEG_LAT = 111.2
_COS_LAT = math.cos(math.radians(59.93))  # St Petersburg; a local projection is enough at 2 km

ProgressFn = Callable[[float, str], None]


class ModelLoadError(Exception):
    """The model directory cannot be used: missing, tampered with, or of another format."""


@dataclass(frozen=True)
class Prediction:
    category: str | None
    category_confidence: float
    reason: str | None
    reason_confidence: float
    responsible_org: str | None
    responsible_org_confidence: float

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- helpers


def auto_route_threshold(
    confidences: Sequence[float], correct: Sequence[bool], target_precision: float = 0.98
) -> float:
    """The lowest confidence t such that the predictions with confidence >= t are right at least
    `target_precision` of the time; NEVER (1.01) when no such t exists or there is nothing to go
    on. Ties are kept together: a threshold admits every prediction at its confidence."""
    conf = np.asarray(confidences, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    if conf.size == 0:
        return NEVER
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    precision = np.cumsum(ok) / np.arange(1, conf.size + 1)
    # Only cut where the next confidence is strictly lower, so ties are never split.
    cut = np.r_[conf[1:] < conf[:-1], True]
    good = np.flatnonzero(cut & (precision >= target_precision))
    if good.size == 0:
        return NEVER
    return float(conf[good[-1]])


def _xy(lat: Any, lon: Any) -> tuple[float, float] | None:
    la, lo = as_float(lat), as_float(lon)
    if la is None or lo is None or not (-90 <= la <= 90 and -180 <= lo <= 180):
        return None
    return la * _KM_PER_DEG_LAT, lo * _KM_PER_DEG_LAT * _COS_LAT


def _points(records: Sequence[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(n x 2 km coordinates, mask of valid points); invalid ones are placed far away."""
    xy = np.full((len(records), 2), 1e7)
    valid = np.zeros(len(records), dtype=bool)
    for i, record in enumerate(records):
        point = _xy(record.get("lat"), record.get("lon"))
        if point is not None:
            xy[i] = point
            valid[i] = True
    return xy, valid


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores * temperature
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature that minimises the log-loss of the true labels (grid search)."""
    if scores.shape[0] == 0 or scores.shape[1] < 2:
        return 1.0
    best, best_t = float("inf"), 1.0
    for t in np.geomspace(0.5, 50, 28):
        p = _softmax(scores, t)[np.arange(len(y)), y]
        loss = -np.mean(np.log(np.clip(p, 1e-12, 1)))
        if loss < best:
            best, best_t = loss, float(t)
    return best_t


class _Calibrator:
    """Maps a top-1 probability to the observed chance that the top-1 is right (isotonic)."""

    def __init__(self, top: np.ndarray, correct: np.ndarray):
        self.iso: IsotonicRegression | None = None
        if len(top) >= 10 and 0 < correct.sum() < len(correct):
            self.iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            self.iso.fit(top, correct.astype(float))
        self.constant = float(correct.mean()) if len(correct) else 0.0

    def __call__(self, top: np.ndarray) -> np.ndarray:
        if self.iso is None:
            return np.minimum(top, self.constant if self.constant > 0 else 1.0)
        return np.clip(self.iso.predict(top), 0.0, 1.0)


def ece(confidences: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-width confidence bins."""
    confidences = np.asarray(confidences, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if confidences.size == 0:
        return float("nan")
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidences, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            total += m.mean() * abs(confidences[m].mean() - correct[m].mean())
    return float(total)


# ---------------------------------------------------------------- the core estimator


class _Linear:
    """LinearSVC that also copes with a single class (tiny retraining sets)."""

    def __init__(self, c: float, seed: int):
        self.c, self.seed = c, seed
        self.classes_: np.ndarray = np.array([], dtype=object)
        self.coef_: np.ndarray | None = None
        self.intercept_: np.ndarray | None = None

    def fit(self, x: sp.csr_matrix, y: np.ndarray) -> _Linear:
        self.classes_ = np.unique(y)
        if len(self.classes_) >= 2:
            svc = LinearSVC(C=self.c, random_state=self.seed, max_iter=2000)
            svc.fit(x, y)
            coef, intercept = svc.coef_, svc.intercept_
            if len(self.classes_) == 2:  # binary: one hyperplane; make it two symmetric ones
                coef, intercept = np.vstack([-coef, coef]), np.r_[-intercept, intercept]
            self.coef_ = np.ascontiguousarray(coef, dtype=np.float32)
            self.intercept_ = intercept.astype(np.float32)
        return self

    def scores(self, x: sp.csr_matrix) -> np.ndarray:
        if self.coef_ is None:
            return np.zeros((x.shape[0], len(self.classes_)))
        return np.asarray(x @ self.coef_.T, dtype=np.float64) + self.intercept_


class _Geo:
    """Training places in a KD-tree, for votes of nearby labels and for the district lookup."""

    def __init__(self, records: Sequence[dict]):
        xy, valid = _points(records)
        self.index = np.flatnonzero(valid)
        self.tree = KDTree(xy[valid] if valid.any() else np.full((1, 2), 1e7))

    def votes(self, xy: np.ndarray, labels: np.ndarray, n_classes: int,
              leave_one_out: bool) -> sp.csr_matrix:
        """Row-normalised distance-weighted counts of the labels (ints, -1 = none) of the
        training appeals within `_GEO_RADIUS_KM`. With leave_one_out, xy are the training places
        themselves in order, and each row ignores its own appeal."""
        n = xy.shape[0]
        k = min(_GEO_K + (1 if leave_one_out else 0), len(self.index))
        if n == 0 or k == 0 or len(self.index) == 0:
            return sp.csr_matrix((n, n_classes))
        dist, ind = self.tree.query(xy, k=k)
        ind = self.index[ind]
        keep = np.ones_like(ind, dtype=bool)
        if leave_one_out:
            keep = ind != np.arange(n)[:, None]
            no_self = keep.all(axis=1)
            keep[no_self, -1] = False
        lab = labels[ind]
        weight = np.exp(-dist / _GEO_SCALE_KM) * (dist < _GEO_RADIUS_KM) * keep * (lab >= 0)
        rows = np.repeat(np.arange(n), ind.shape[1])
        m = sp.csr_matrix((weight.ravel(), (rows, np.maximum(lab, 0).ravel())),
                          shape=(n, n_classes))
        m.sum_duplicates()
        total = np.asarray(m.sum(axis=1)).ravel()
        total[total == 0] = 1
        return sp.diags(1 / total) @ m


class _Core:
    """Everything fitted on one set of labelled records."""

    def __init__(self, records: Sequence[dict], seed: int, progress: ProgressFn,
                 span: tuple[float, float]):
        lo, hi = span

        def step(frac: float, message: str) -> None:
            progress(lo + (hi - lo) * frac, message)

        n = len(records)
        step(0.0, f"text features of {n} appeals")
        self.words = TfidfVectorizer(ngram_range=(1, 2), min_df=2 if n > 200 else 1,
                                     sublinear_tf=True, dtype=np.float32)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4),
                                     min_df=3 if n > 200 else 1, sublinear_tf=True,
                                     max_features=60000, dtype=np.float32)
        texts = [str(r.get("text") or "") for r in records]
        xw = self.words.fit_transform(texts)
        xc = self.chars.fit_transform(texts)
        for vec in (self.words, self.chars):
            vec.stop_words_ = None  # the pruned vocabulary is large and never needed
        self.districts = sorted({str(r.get("district")) for r in records if r.get("district")})
        self.reasons = sorted({str(r["reason"]) for r in records})
        self.categories = sorted({str(r["category"]) for r in records})
        self.orgs = sorted({str(r["responsible_org"]) for r in records
                            if r.get("responsible_org")})
        r_idx = {v: i for i, v in enumerate(self.reasons)}
        o_idx = {v: i for i, v in enumerate(self.orgs)}
        c_idx = {v: i for i, v in enumerate(self.categories)}
        y_reason = np.array([r_idx[str(r["reason"])] for r in records])
        y_org = np.array([o_idx.get(str(r.get("responsible_org") or ""), -1) for r in records])
        self.y_reason_train, self.y_org_train = y_reason, y_org
        # P(category | reason) from the training counts (one reason can sit in two categories)
        m = np.zeros((len(self.reasons), len(self.categories)))
        for r in records:
            m[r_idx[str(r["reason"])], c_idx[str(r["category"])]] += 1
        self.reason_to_category = m / m.sum(axis=1, keepdims=True)

        step(0.2, "geographic index")
        self.geo = _Geo(records)
        xy, _ = _points(records)
        self.geo_districts = np.array([str(r.get("district") or "") for r in records],
                                      dtype=object)
        g_reason = self.geo.votes(xy, y_reason, len(self.reasons), leave_one_out=True)
        g_org = self.geo.votes(xy, y_org, max(len(self.orgs), 1), leave_one_out=True)

        base = sp.hstack([xw, xc, self._district_onehot(records), self._flags(records)])
        step(0.3, f"sub-category classifier ({len(self.reasons)} classes)")
        self.reason_clf = _Linear(0.2, seed).fit(
            sp.hstack([base, g_reason]).tocsr(), y_reason)
        step(0.7, f"organisation classifier ({len(self.orgs)} classes)")
        has_org = y_org >= 0
        self.org_clf = _Linear(0.3, seed)
        if has_org.any():
            x_org = sp.hstack([base, g_org, self._district_x_reason(records, y_reason)]).tocsr()
            self.org_clf.fit(x_org[has_org], y_org[has_org])
        self.t_reason = self.t_org = 1.0
        self.cal_category = self.cal_reason = self.cal_org = None
        step(1.0, "fitted")

    # -- feature blocks
    def _district_onehot(self, records: Sequence[dict]) -> sp.csr_matrix:
        d_idx = {d: i for i, d in enumerate(self.districts)}
        rows, cols = [], []
        for i, r in enumerate(records):
            j = d_idx.get(str(r.get("district")))
            if j is not None:
                rows.append(i)
                cols.append(j)
        return sp.csr_matrix((np.ones(len(rows)), (rows, cols)),
                             shape=(len(records), max(len(self.districts), 1)))

    def _district_x_reason(self, records: Sequence[dict], reasons: np.ndarray) -> sp.csr_matrix:
        d_idx = {d: i for i, d in enumerate(self.districts)}
        nd, nr = max(len(self.districts), 1), len(self.reasons)
        rows, cols = [], []
        for i, (r, reason) in enumerate(zip(records, reasons, strict=True)):
            j = d_idx.get(str(r.get("district")))
            if j is not None:
                rows.append(i)
                cols.append(j * nr + int(reason))
        return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(records), nd * nr))

    @staticmethod
    def _flags(records: Sequence[dict]) -> sp.csr_matrix:
        """Whether the appeal has a street address (a house) or only a point (a yard, a
        street): a cheap, legitimate stand-in for the kind of object."""
        v = np.array([[0.0 if r.get("address") else 1.0] for r in records])
        return sp.csr_matrix(v)

    # -- scoring
    def raw(self, records: Sequence[dict]) -> dict[str, np.ndarray]:
        """Uncalibrated outputs: reason probabilities, category probabilities, org scores."""
        texts = [str(r.get("text") or "") for r in records]
        base = sp.hstack([self.words.transform(texts), self.chars.transform(texts),
                          self._district_onehot(records), self._flags(records)])
        xy, _ = _points(records)
        g_reason = self.geo.votes(xy, self.y_reason_train, len(self.reasons), False)
        p_reason = _softmax(self.reason_clf.scores(sp.hstack([base, g_reason]).tocsr()),
                            self.t_reason)
        p_category = p_reason @ self.reason_to_category
        category = p_category.argmax(axis=1)
        # the reason is the best one inside the chosen category, so the two agree
        inside = self.reason_to_category[:, category].T > 0
        reason = np.where(inside, p_reason, -1).argmax(axis=1)
        out = {"p_reason": p_reason, "p_category": p_category, "category": category,
               "reason": reason}
        if self.org_clf.coef_ is not None or len(self.org_clf.classes_) == 1:
            g_org = self.geo.votes(xy, self.y_org_train, max(len(self.orgs), 1), False)
            x_org = sp.hstack([base, g_org, self._district_x_reason(records, reason)]).tocsr()
            scores = self.org_clf.scores(x_org)
            p_org = _softmax(scores, self.t_org) if scores.shape[1] > 1 else np.ones_like(scores)
            out["p_org"] = p_org
            out["org"] = self.org_clf.classes_[p_org.argmax(axis=1)] if scores.shape[1] else \
                np.full(len(records), -1)
        else:
            out["p_org"] = np.zeros((len(records), 0))
            out["org"] = np.full(len(records), -1)
        return out

    def calibrate(self, records: Sequence[dict], seed_raw: dict | None = None) -> dict:
        """Fit temperatures and isotonic maps on held-out labelled records; returns the
        held-out outputs (calibrated) for the thresholds and the metrics."""
        r_idx = {v: i for i, v in enumerate(self.reasons)}
        c_idx = {v: i for i, v in enumerate(self.categories)}
        o_idx = {v: i for i, v in enumerate(self.orgs)}
        known = [i for i, r in enumerate(records) if str(r["reason"]) in r_idx]
        recs = [records[i] for i in known]
        y_r = np.array([r_idx[str(r["reason"])] for r in recs], dtype=int)
        y_c = np.array([c_idx.get(str(r["category"]), -1) for r in recs], dtype=int)
        y_o = np.array([o_idx.get(str(r.get("responsible_org") or ""), -1) for r in recs])
        self.t_reason = 1.0
        raw = self.raw(recs)
        # temperature on the reason softmax, from the decision scores
        scores = np.log(np.clip(raw["p_reason"], 1e-300, 1))  # = scores - logsumexp, t=1
        self.t_reason = _fit_temperature(scores, y_r)
        if raw["p_org"].shape[1] > 1 and (y_o >= 0).any():
            org_scores = np.log(np.clip(raw["p_org"], 1e-300, 1))
            cls = list(self.org_clf.classes_)
            pos = {c: i for i, c in enumerate(cls)}
            sel = np.array([o in pos for o in y_o])
            if sel.any():
                self.t_org = _fit_temperature(org_scores[sel],
                                              np.array([pos[o] for o in y_o[sel]]))
        raw = self.raw(recs)
        top_c = raw["p_category"].max(axis=1)
        ok_c = raw["category"] == y_c
        top_r = raw["p_reason"][np.arange(len(recs)), raw["reason"]]
        ok_r = raw["reason"] == y_r
        self.cal_category = _Calibrator(top_c, ok_c)
        self.cal_reason = _Calibrator(top_r, ok_r)
        has_o = y_o >= 0
        top_o = raw["p_org"].max(axis=1) if raw["p_org"].shape[1] else np.zeros(len(recs))
        ok_o = raw["org"] == y_o
        self.cal_org = _Calibrator(top_o[has_o], ok_o[has_o])
        return {"category": raw["category"], "y_category": y_c,
                "category_confidence": self.cal_category(top_c),
                "reason": raw["reason"], "y_reason": y_r,
                "reason_confidence": self.cal_reason(top_r),
                "org": raw["org"], "y_org": y_o, "org_confidence": self.cal_org(top_o)}

    def predict(self, records: Sequence[dict]) -> dict[str, np.ndarray]:
        raw = self.raw(records)
        top_c = raw["p_category"].max(axis=1)
        top_r = raw["p_reason"][np.arange(len(records)), raw["reason"]]
        top_o = raw["p_org"].max(axis=1) if raw["p_org"].shape[1] else np.zeros(len(records))
        ident = _Calibrator(np.array([]), np.array([]))
        return {**raw,
                "category_confidence": (self.cal_category or ident)(top_c),
                "reason_confidence": (self.cal_reason or ident)(top_r),
                "org_confidence": (self.cal_org or ident)(top_o)}

    def district_from_point(self, lat: Any, lon: Any) -> str | None:
        point = _xy(lat, lon)
        if point is None or len(self.geo.index) == 0:
            return None
        k = min(7, len(self.geo.index))
        dist, ind = self.geo.tree.query(np.array([point]), k=k)
        dist, ind = dist[0], self.geo.index[ind[0]]
        if dist[0] > DISTRICT_MAX_KM:
            return None
        votes: Counter[str] = Counter()
        for d, i in zip(dist, ind, strict=True):
            name = self.geo_districts[i]
            if name and d <= dist[0] + 0.5:
                votes[name] += 1.0 / (d + 0.05)
        return votes.most_common(1)[0][0] if votes else None


# ---------------------------------------------------------------- training


def _usable(records: Iterable[dict]) -> list[dict]:
    """Records with the two labels every training row needs; the organisation may be null."""
    return [r for r in records if r.get("category") and r.get("reason")]


def _label_metrics(out: dict, categories: list[str]) -> dict:
    from sklearn.metrics import confusion_matrix, f1_score

    y_c, p_c = out["y_category"], out["category"]
    has_o = out["y_org"] >= 0
    labels = list(range(len(categories)))
    return {
        "n": len(y_c),
        "category_macro_f1": float(f1_score(y_c, p_c, labels=labels, average="macro",
                                            zero_division=0)) if len(y_c) else None,
        "category_accuracy": float(np.mean(y_c == p_c)) if len(y_c) else None,
        "reason_accuracy": float(np.mean(out["y_reason"] == out["reason"])) if len(y_c) else None,
        "org_accuracy": float(np.mean(out["org"][has_o] == out["y_org"][has_o]))
        if has_o.any() else None,
        "category_confusion": confusion_matrix(y_c, p_c, labels=labels).tolist()
        if len(y_c) else [],
    }


def _thresholds(out: dict, categories: list[str], target: float) -> dict[str, float]:
    result = {}
    for i, name in enumerate(categories):
        m = out["category"] == i
        if m.sum() < MIN_THRESHOLD_SUPPORT:
            result[name] = NEVER
            continue
        result[name] = auto_route_threshold(out["category_confidence"][m],
                                            out["y_category"][m] == i, target)
    return result


def fit_model(records: list[dict], *, seed: int = 0, progress: ProgressFn | None = None,
              target_precision: float = TARGET_PRECISION) -> tuple[_Core, dict]:
    """Fit on 80 %, calibrate and choose thresholds on the other 20 %, refit on everything.
    Returns the fitted core and the held-out report."""
    progress = progress or (lambda fraction, message: None)
    records = _usable(records)
    if len(records) < 2:
        raise ValueError("need at least two labelled appeals (category and reason) to train")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(records))
    n_hold = round(len(records) * HOLDOUT_SHARE) if len(records) >= 20 else 0
    hold = [records[i] for i in order[:n_hold]]
    fit = [records[i] for i in order[n_hold:]]
    held_out: dict = {}
    if hold:
        first = _Core(fit, seed, progress, (0.0, 0.45))
        progress(0.46, f"calibrating on {len(hold)} held-out appeals")
        out = first.calibrate(hold)
        held_out = {
            "metrics": _label_metrics(out, first.categories),
            "thresholds": _thresholds(out, first.categories, target_precision),
            "calibration": {
                "temperature_reason": first.t_reason, "temperature_org": first.t_org,
                "ece_category": ece(out["category_confidence"],
                                    out["category"] == out["y_category"]),
                "ece_reason": ece(out["reason_confidence"], out["reason"] == out["y_reason"]),
                "ece_org": ece(out["org_confidence"][out["y_org"] >= 0],
                               (out["org"] == out["y_org"])[out["y_org"] >= 0]),
            },
            "categories": first.categories,
        }
        cals = (first.t_reason, first.t_org, first.cal_category, first.cal_reason, first.cal_org)
        del first
    core = _Core(records, seed, progress, (0.5, 0.97))
    if hold:
        (core.t_reason, core.t_org, core.cal_category, core.cal_reason, core.cal_org) = cals
        thresholds = held_out["thresholds"]
    else:
        thresholds = {}
    held_out["thresholds"] = {c: thresholds.get(c, NEVER) for c in core.categories}
    return core, held_out


def train(records: Iterable[dict], *, out_dir: Path, progress: ProgressFn | None = None,
          seed: int = 0) -> dict:
    """Train on labelled appeals, write the model directory and return its metadata."""
    started = time.perf_counter()
    progress = progress or (lambda fraction, message: None)
    rows = list(records)
    data_fingerprint = fingerprint(rows)
    core, held_out = fit_model(rows, seed=seed, progress=progress)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    progress(0.98, f"writing {out_dir}")
    created = dt.datetime.now(dt.UTC)
    metadata = {
        "format": FORMAT,
        "version": f"routing-{created:%Y%m%d-%H%M%S}-{data_fingerprint[:8]}",
        "created_at": created.isoformat(),
        "data_fingerprint": f"sha256:{data_fingerprint}",
        "n_train": len(_usable(rows)),
        "n_with_org": sum(1 for r in _usable(rows) if r.get("responsible_org")),
        "feature_fields": list(FEATURE_FIELDS),
        "seed": seed,
        "algorithm": "tf-idf word 1-2 + char_wb 1-4 n-grams, district, geo vote; LinearSVC "
                     "reason -> category; LinearSVC org on district x reason; isotonic "
                     "calibration on a 20% held-out split",
        "metrics": held_out.get("metrics", {}),
        "metrics_split": f"held-out {int(HOLDOUT_SHARE * 100)}% of the training data "
                         "(model fitted on the other 80%)",
        "confusion_matrix": {"labels": held_out.get("categories", core.categories),
                             "rows": held_out.get("metrics", {}).get("category_confusion", [])},
        "calibration": held_out.get("calibration", {}),
        "auto_route_target_precision": TARGET_PRECISION,
        "auto_route_thresholds": held_out["thresholds"],
        "labels": {"category": core.categories, "reason": core.reasons,
                   "responsible_org": core.orgs, "district": core.districts},
        "district_max_km": DISTRICT_MAX_KM,
        "train_seconds": None,
        "runtime": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                    "numpy": np.__version__},
    }
    metadata.get("metrics", {}).pop("category_confusion", None)
    joblib.dump(core, out_dir / MODEL_FILE, compress=3)
    metadata["train_seconds"] = round(time.perf_counter() - started, 1)
    (out_dir / METADATA_FILE).write_text(json.dumps(metadata, ensure_ascii=False, indent=1),
                                         encoding="utf-8")
    manifest = {name: _sha256(out_dir / name) for name in (MODEL_FILE, METADATA_FILE)}
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    progress(1.0, "done")
    return metadata


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- serving


class RoutingModel:
    """A trained model loaded from its directory (see the package docstring)."""

    def __init__(self, core: _Core, metadata: dict):
        self._core = core
        self.metadata = metadata
        self.thresholds: dict[str, float] = dict(metadata.get("auto_route_thresholds", {}))

    @classmethod
    def load(cls, path: Path, *, expected_manifest_sha256: str | None = None) -> RoutingModel:
        """Load a model directory written by `train`, after checking every file against the
        sha256 manifest. Unpickling runs code: only load from the platform's model store."""
        path = Path(path)
        try:
            manifest_bytes = (path / MANIFEST_FILE).read_bytes()
            if expected_manifest_sha256 and (
                hashlib.sha256(manifest_bytes).hexdigest() != expected_manifest_sha256
            ):
                raise ModelLoadError(f"{path}: the manifest is not the registered one")
            manifest = json.loads(manifest_bytes)
            if set(manifest) != {MODEL_FILE, METADATA_FILE}:
                raise ModelLoadError(f"{path}: the manifest lists unexpected files")
            for name, digest in manifest.items():
                if _sha256(path / name) != digest:
                    raise ModelLoadError(f"{path / name}: sha256 does not match the manifest")
            metadata = json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))
            if metadata.get("format") != FORMAT:
                raise ModelLoadError(f"{path}: format {metadata.get('format')!r}, "
                                     f"expected {FORMAT!r}")
            core = joblib.load(path / MODEL_FILE)
            if not isinstance(core, _Core):
                raise ModelLoadError(f"{path / MODEL_FILE}: not a routing model")
        except ModelLoadError:
            raise
        except Exception as exc:  # missing files, bad JSON, a broken or foreign pickle
            raise ModelLoadError(f"{path}: {type(exc).__name__}: {exc}") from exc
        return cls(core, metadata)

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", ""))

    def predict(self, records: list[dict]) -> list[Prediction]:
        """One Prediction per record, reading only FEATURE_FIELDS of each."""
        if not records:
            return []
        clean = [features_only(r) for r in records]
        out = self._core.predict(clean)
        core = self._core
        result = []
        for i in range(len(clean)):
            org = int(out["org"][i])
            result.append(Prediction(
                category=core.categories[int(out["category"][i])],
                category_confidence=round(float(out["category_confidence"][i]), 4),
                reason=core.reasons[int(out["reason"][i])],
                reason_confidence=round(float(out["reason_confidence"][i]), 4),
                responsible_org=core.orgs[org] if org >= 0 else None,
                responsible_org_confidence=round(float(out["org_confidence"][i]), 4)
                if org >= 0 else 0.0,
            ))
        return result

    def auto_route(self, prediction: Prediction) -> bool:
        """Whether the prediction is confident enough to route without a person."""
        threshold = self.thresholds.get(prediction.category or "", NEVER)
        return prediction.category_confidence >= threshold

    def district_from_point(self, lat: float, lon: float) -> str | None:
        return self._core.district_from_point(lat, lon)
