"""The routing model: linear classifiers over word + character n-grams of the citizen's text,
the district and geographic votes of earlier appeals, with a small gradient-boosted reranker for
the responsible organisation.

Why this shape (ADR 0050):

- Appeals are short (median 48 characters) and misspelt, so character n-grams carry much of the
  signal. The sub-category ("reason") almost determines the category, so the category is read off
  the reason probabilities (P(category) = sum of P(reason) over its reasons), divided by the
  category's training share to the power `alpha` (chosen for macro-F1 out of fold): the plain
  sum favours the big categories and loses recall on the rare ones, which is what macro-F1
  punishes. The reason shown is the best one inside the chosen category, so the two agree.
- The organisation depends on district x reason, on who answered the same kind of problem at
  the same place around the same time, and on when (organisations were reassigned, and recent
  appeals are still with the first organisation). A linear classifier over the text, the
  district x predicted-reason cross and reason-matched space-time votes proposes candidates; a
  HistGradientBoosting reranker over a few dozen numbers per candidate (linear probability,
  district x reason prior, district x reason x week prior, the votes, the time) picks one.
- Every stacked feature of a training appeal is built without its own label: votes and priors
  leave the appeal out, and the reason and organisation probabilities a training appeal's
  features use come from models fitted on the other folds (cross-fitting). The same out-of-fold
  outputs give the temperatures, the isotonic confidence maps, `alpha` and the per-category
  auto-route thresholds, so no separate hold-out or refit is needed.
- Serving reads only dense lookups (a grid of training places, prior tables, contiguous
  coefficient matrices) so one appeal takes a few milliseconds; the batch and the single-appeal
  paths are the same vectorised code, row by row independent, so they give identical answers.
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
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import KFold
from sklearn.neighbors import KDTree
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from .data import FEATURE_FIELDS, as_float, features_only, fingerprint

FORMAT = "qyzmet-appeals-routing/2"
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
MANIFEST_FILE = "manifest.json"
DISTRICT_MAX_KM = 2.0  # farther than this from every training place = outside the jurisdiction
TARGET_PRECISION = 0.98
NEVER = 1.01  # a threshold no confidence reaches: that category always goes to a person
MIN_THRESHOLD_SUPPORT = 10  # fewer out-of-fold predictions of a category: never auto-route
CROSS_FOLDS = 3  # cross-fitting folds for the stacked features and the calibration
MIN_CROSS_FIT = 60  # fewer labelled appeals: no cross-fitting, uncalibrated, never auto-route
N_JOBS = 2  # worker processes for the linear fits; the machine has 2 cores
_KM_PER_DEG_LAT = 111.2
_COS_LAT = math.cos(math.radians(59.93))  # St Petersburg; a local projection is enough at 2 km
_CELL_KM = 0.2  # grid of training places; every vote looks at most this far
# (radius km, distance scale km, time scale days or None, weighted by P(reason of the neighbour))
_REASON_VOTE = (0.05, 0.02, None, False)
_ORG_VOTES = (
    (0.05, 0.02, None, False),  # who answered at this building / yard, any problem, any time
    (0.05, 0.02, 14.0, True),  # ... the same kind of problem here within about two weeks
    (0.2, 0.05, 30.0, True),  # ... the same kind of problem within 200 m within about a month
    (0.1, 0.03, None, True),  # ... the same kind of problem within 100 m at any time
)
_C_REASON = 0.2  # LinearSVC C of the reason classifier (on all rows; folds scale it)
_C_ORG = 0.15  # ... of the organisation classifier (0.15 beat 0.3 and 0.1 on fold 1)
_ALPHAS = np.round(np.arange(0.0, 0.51, 0.05), 2)
_TEMPERATURES = np.geomspace(0.5, 50, 28)
_PRIOR_SMOOTH = 0.05
_WEEK_TAU = 2.0  # weeks: how far the district x reason x week prior borrows from nearby weeks
_WEEK_REACH = 6
_CANDIDATES = 6

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


def _when(value: Any) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return when.replace(tzinfo=None) if when.tzinfo else when


def _days(records: Sequence[dict]) -> np.ndarray:
    """Days since 2000-01-01 of `created` (NaN when missing or unreadable)."""
    epoch = dt.datetime(2000, 1, 1)
    out = np.full(len(records), np.nan)
    for i, record in enumerate(records):
        when = _when(record.get("created"))
        if when is not None:
            out[i] = (when - epoch).total_seconds() / 86400.0
    return out


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = np.asarray(scores, dtype=np.float64) * temperature
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature that minimises the log-loss of the true labels (grid search)."""
    if scores.shape[0] == 0 or scores.shape[1] < 2:
        return 1.0
    best, best_t = float("inf"), 1.0
    for t in _TEMPERATURES:
        p = _softmax(scores, t)[np.arange(len(y)), y]
        loss = -np.mean(np.log(np.clip(p, 1e-12, 1)))
        if loss < best:
            best, best_t = loss, float(t)
    return best_t


def _onehot(index: np.ndarray, n: int) -> sp.csr_matrix:
    index = np.asarray(index)
    ok = (index >= 0) & (index < n)
    rows = np.flatnonzero(ok)
    return sp.csr_matrix(
        (np.ones(rows.size, dtype=np.float32), (rows, index[ok])), shape=(len(index), max(n, 1))
    )


class _Calibrator:
    """Maps a top-1 probability to the observed chance that the top-1 is right: isotonic
    regression, applied as linear interpolation between its thresholds (what
    IsotonicRegression.predict does, without its per-call input validation)."""

    def __init__(self, top: np.ndarray, correct: np.ndarray):
        self.x: np.ndarray | None = None
        self.y: np.ndarray | None = None
        if len(top) >= 10 and 0 < correct.sum() < len(correct):
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            iso.fit(top, correct.astype(float))
            self.x, self.y = iso.X_thresholds_, iso.y_thresholds_
        self.constant = float(correct.mean()) if len(correct) else 0.0

    def __call__(self, top: np.ndarray) -> np.ndarray:
        top = np.asarray(top, dtype=float)
        if self.x is None or self.y is None:  # both set, or neither
            return np.minimum(top, self.constant if self.constant > 0 else 1.0)
        return np.clip(np.interp(top, self.x, self.y), 0.0, 1.0)


def _identity(top: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(top, dtype=float), 0.0, 1.0)


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


def _fit_linear(x: sp.csr_matrix, y: np.ndarray, c: float, seed: int, n_classes: int):
    return _Linear(c, seed, n_classes).fit(x, y)


def _fit_linears(tasks: list[tuple], n_jobs: int) -> list:
    """Fit (x, y, C, seed, n_classes) linear models, in up to n_jobs worker processes. Processes,
    not threads: liblinear draws from one process-wide random generator, so fits in two threads
    of one process interleave their draws and the models change from run to run. (Inside a
    daemonic process, e.g. a Celery worker, joblib runs them one after the other.)"""
    if n_jobs <= 1 or len(tasks) <= 1:
        return [_fit_linear(*task) for task in tasks]
    return joblib.Parallel(n_jobs=n_jobs, backend="loky")(
        joblib.delayed(_fit_linear)(*task) for task in tasks
    )


def _cross_fitted(x: sp.csr_matrix, y: np.ndarray, labelled: np.ndarray, c: float,
                  n_classes: int, splits: list, seed: int, n_jobs: int):  # fmt: skip
    """(model on all labelled rows, temperature, calibrated probabilities of every row), the
    probabilities out of fold: each fold's model scores the rows it never saw, and the
    temperature is fitted on those scores. C is scaled by n / rows, so a fold model weighs its
    data against the penalty as the model on all rows does and its scores (and the
    calibration read off them) have the same scale. The model on all rows is fitted first: the
    two workers then finish together. Without folds (tiny data) the probabilities are in-sample
    and nothing is calibrated."""
    n = len(y)
    fitted = _fit_linears(
        [
            (x[rows[labelled[rows]]], y[rows[labelled[rows]]], c * n / len(rows), seed, n_classes)
            for rows in [np.arange(n), *(train for train, _ in splits)]
        ],
        n_jobs,
    )
    model, fold_models = fitted[0], fitted[1:]
    if not splits:
        return model, 1.0, _softmax(model.scores(x), 1.0)
    scores = np.zeros((n, n_classes))
    for (_, test), clf in zip(splits, fold_models, strict=True):
        scores[test] = clf.scores(x[test])
    temperature = _fit_temperature(scores[labelled], y[labelled]) if labelled.any() else 1.0
    return model, temperature, _softmax(scores, temperature)


# ---------------------------------------------------------------- building blocks


class _Text:
    """TF-IDF of word 1-2-grams and char_wb 1-4-grams. Fitted by scikit-learn; applied by a short
    path of our own (analyzer -> counts -> 1 + log tf -> idf -> l2) so one appeal does not pay
    for scikit-learn's input validation; `transform` works row by row, so a row's vector does not
    depend on what else is in the batch."""

    def __init__(self, n: int):
        self.words = TfidfVectorizer(
            ngram_range=(1, 2), min_df=2 if n > 200 else 1, sublinear_tf=True, dtype=np.float32
        )
        self.chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(1, 4),
            min_df=3 if n > 200 else 1,
            sublinear_tf=True,
            max_features=60000,
            dtype=np.float32,
        )
        self._analyzers: list | None = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_analyzers"] = None  # closures: rebuilt on first use after loading
        return state

    def fit_transform(self, texts: list[str]) -> sp.csr_matrix:
        xw = self.words.fit_transform(texts)
        xc = self.chars.fit_transform(texts)
        for vec in (self.words, self.chars):
            vec.stop_words_ = None  # the pruned vocabulary is large and never needed
        return sp.hstack([xw, xc], format="csr", dtype=np.float32)

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        if self._analyzers is None:
            self._analyzers = [
                (vec.build_analyzer(), vec.vocabulary_, vec.idf_.astype(np.float32))
                for vec in (self.words, self.chars)
            ]
        return sp.hstack(
            [_tfidf_rows(texts, *analyzer) for analyzer in self._analyzers],
            format="csr",
            dtype=np.float32,
        )


def _tfidf_rows(texts: list[str], analyze, vocabulary: dict, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF-IDF, l2-normalised per row, of the texts (what TfidfVectorizer.transform
    computes), with no per-call input validation."""
    indptr, indices, counts = [0], [], []
    for text in texts:
        found: Counter[int] = Counter()
        for token in analyze(text):
            j = vocabulary.get(token)
            if j is not None:
                found[j] += 1
        for j in sorted(found):
            indices.append(j)
            counts.append(found[j])
        indptr.append(len(indices))
    ptr = np.asarray(indptr, dtype=np.int64)
    index = np.asarray(indices, dtype=np.int32)
    data = np.asarray(counts, dtype=np.float32)
    np.log(data, out=data)
    data += np.float32(1.0)
    data *= idf[index]
    lengths = np.diff(ptr)
    norms = np.ones(len(texts), dtype=np.float32)
    filled = lengths > 0
    if data.size:
        norms[filled] = np.sqrt(np.add.reduceat(np.square(data), ptr[:-1][filled]))
    data /= np.repeat(norms, lengths)
    return sp.csr_matrix((data, index, ptr), shape=(len(texts), len(vocabulary)))


class _Linear:
    """LinearSVC whose coefficients are kept as one contiguous float32 (features x classes)
    matrix, so scoring a sparse row reads only the rows of its non-zero features; copes with a
    single class (tiny retraining sets) and scores into a fixed class space."""

    def __init__(self, c: float, seed: int, n_classes: int):
        self.c, self.seed, self.n_classes = c, seed, n_classes
        self.classes_: np.ndarray = np.array([], dtype=int)
        self.coef_t: np.ndarray | None = None
        self.intercept: np.ndarray | None = None

    def fit(self, x: sp.csr_matrix, y: np.ndarray) -> _Linear:
        self.classes_ = np.unique(y)
        width = x.shape[1]
        coef = np.zeros((self.n_classes, width), dtype=np.float32)
        intercept = np.full(self.n_classes, -10.0, dtype=np.float32)  # absent classes: never
        if len(self.classes_) >= 2:
            svc = LinearSVC(C=self.c, random_state=self.seed, max_iter=2000)
            svc.fit(x, y)
            c, b = svc.coef_, svc.intercept_
            if len(self.classes_) == 2:  # binary: one hyperplane; make it two symmetric ones
                c, b = np.vstack([-c, c]), np.r_[-b, b]
            coef[self.classes_] = c
            intercept[self.classes_] = b
        elif len(self.classes_) == 1:
            intercept[self.classes_] = 0.0
        self.coef_t = np.ascontiguousarray(coef.T)
        self.intercept = intercept
        return self

    def scores(self, x: sp.csr_matrix) -> np.ndarray:
        # x in float32 like the coefficients: a float64 x would make scipy copy the whole
        # coefficient matrix to float64 on every call
        if self.coef_t is None or self.intercept is None:
            raise RuntimeError("_Linear.scores before fit")
        x = x.astype(np.float32, copy=False)
        return np.asarray(x @ self.coef_t, dtype=np.float64) + self.intercept


class _Places:
    """The training appeals' places on a grid of `_CELL_KM` squares: the neighbours of a point
    within `_CELL_KM` are found by looking up nine cells in a dict, with no tree query. Keeps
    what the votes read: the place, the day, the reason and the organisation of every training
    appeal with a valid point."""

    def __init__(self, xy: np.ndarray, valid: np.ndarray, days: np.ndarray):
        self.rows = np.flatnonzero(valid)  # training row of each place
        self.xy = xy[valid]
        self.days = days[valid]
        cells = np.floor(self.xy / _CELL_KM).astype(np.int64)
        order = np.lexsort((cells[:, 1], cells[:, 0]))
        self.cells: dict[tuple[int, int], np.ndarray] = {}
        if order.size:
            sorted_cells = cells[order]
            change = np.r_[True, (np.diff(sorted_cells, axis=0) != 0).any(axis=1)]
            starts = np.flatnonzero(change)
            ends = np.r_[starts[1:], order.size]
            for s, e in zip(starts, ends, strict=True):
                key = (int(sorted_cells[s, 0]), int(sorted_cells[s, 1]))
                self.cells[key] = order[s:e]

    def pairs(
        self, xy: np.ndarray, valid: np.ndarray, exclude_self: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query row, place index, distance km) of every place within `_CELL_KM` of every valid
        query point. With exclude_self the queries are the training rows themselves and a row is
        never its own neighbour."""
        qs, js, ds = [], [], []
        offsets = [(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1)]
        self_place: np.ndarray | None = None
        if exclude_self:
            self_place = np.full(len(xy), -1)
            self_place[self.rows] = np.arange(self.rows.size)
        for i in np.flatnonzero(valid):
            cx, cy = (int(v) for v in np.floor(xy[i] / _CELL_KM))
            found = [f for a, b in offsets if (f := self.cells.get((cx + a, cy + b))) is not None]
            if not found:
                continue
            cand = np.concatenate(found) if len(found) > 1 else found[0]
            delta = self.xy[cand] - xy[i]
            dist = np.sqrt(delta[:, 0] * delta[:, 0] + delta[:, 1] * delta[:, 1])
            keep = dist <= _CELL_KM
            if self_place is not None:
                keep &= cand != self_place[i]
            if keep.any():
                qs.append(np.full(int(keep.sum()), i))
                js.append(cand[keep])
                ds.append(dist[keep])
        if not qs:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        return np.concatenate(qs), np.concatenate(js), np.concatenate(ds)


def _votes(
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_query: int,
    labels: np.ndarray,
    n_labels: int,
    configs: Sequence[tuple],
    *,
    days_query: np.ndarray,
    days_place: np.ndarray,
    reason_place: np.ndarray | None = None,
    p_reason: np.ndarray | None = None,
) -> sp.csr_matrix:
    """One block per vote config: the kernel-weighted share of each label among the
    neighbouring places (labels are per place, -1 = none), then a column log(1 + total weight),
    i.e. how much there was to go on. The weight is exp(-distance / scale), times
    exp(-|days apart| / tau) when tau is given, times the query's probability of the
    neighbour's reason when the vote is reason-matched. Built in one sparse matrix so that one
    appeal costs a handful of numpy operations; each row only depends on its own pairs."""
    q, j, d = pairs
    lab = labels[j] if j.size else np.zeros(0, dtype=int)
    width = n_labels + 1
    rows, cols, vals = [], [], []
    for block, (radius, scale, tau, matched) in enumerate(configs):
        keep = (d <= radius) & (lab >= 0)
        qb, jb, lb = q[keep], j[keep], lab[keep]
        w = np.exp(-d[keep] / scale)
        if tau is not None:
            apart = np.abs(days_place[jb] - days_query[qb])
            w = w * np.exp(-np.nan_to_num(apart, nan=1e4) / tau)
        if matched and p_reason is not None and reason_place is not None:
            w = w * p_reason[qb, reason_place[jb]]
        total = np.bincount(qb, weights=w, minlength=n_query)
        has = np.flatnonzero(total > 0)
        rows += [qb, has]
        cols += [block * width + lb, np.full(has.size, block * width + n_labels)]
        vals += [w / np.where(total > 0, total, 1.0)[qb], np.log1p(total[has])]
    m = sp.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_query, width * len(configs)),
    ).tocsr()
    m.sum_duplicates()
    return m


def _top_k_sparse(p: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices, values) of the k largest entries of each row."""
    k = min(k, p.shape[1])
    idx = np.argsort(-p, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(p, idx, axis=1)


class _Trees:
    """A fitted binary HistGradientBoostingClassifier (numeric features only) flattened into
    node arrays and evaluated for all trees and rows at once with numpy: scikit-learn's
    predict_proba pays ~2 ms of per-call validation and a Python call per tree, which is most of
    the budget of one appeal. The flattening reads the fitted trees' node records; it is checked
    against predict_proba on training rows, and if the two ever disagree (another scikit-learn
    layout) the fitted model itself is kept and used instead."""

    def __init__(self, model: HistGradientBoostingClassifier, check: np.ndarray):
        self.model: HistGradientBoostingClassifier | None = None
        try:
            feature, threshold, left, right, leaf, value, nan_left, roots = (
                [],
                [],
                [],
                [],
                [],
                [],
                [],
                [],
            )
            offset = 0
            for predictors in model._predictors:
                nodes = predictors[0].nodes
                roots.append(offset)
                feature.append(nodes["feature_idx"].astype(np.int64))
                threshold.append(nodes["num_threshold"].astype(np.float64))
                left.append(nodes["left"].astype(np.int64) + offset)
                right.append(nodes["right"].astype(np.int64) + offset)
                leaf.append(nodes["is_leaf"].astype(bool))
                value.append(nodes["value"].astype(np.float64))
                nan_left.append(nodes["missing_go_to_left"].astype(bool))
                offset += len(nodes)
            self.feature = np.concatenate(feature)
            self.threshold = np.concatenate(threshold)
            self.left = np.concatenate(left)
            self.right = np.concatenate(right)
            self.leaf = np.concatenate(leaf)
            self.value = np.concatenate(value)
            self.nan_left = np.concatenate(nan_left)
            self.roots = np.asarray(roots, dtype=np.int64)
            self.baseline = float(np.ravel(model._baseline_prediction)[0])
            ok = np.allclose(self.predict(check), model.predict_proba(check)[:, 1], atol=1e-9)
        except (AttributeError, KeyError, IndexError, ValueError, TypeError):
            ok = False
        if not ok:
            self.model = model

    def predict(self, x: np.ndarray) -> np.ndarray:
        """P(class 1) per row of x."""
        if self.model is not None:
            return self.model.predict_proba(x)[:, 1]
        n, trees = x.shape[0], self.roots.size
        node = np.tile(self.roots, n)  # row-major: row i's trees at i * trees ...
        active = np.arange(node.size)
        flat = x.ravel()
        width = x.shape[1]
        while active.size:  # one level per pass; finished trees drop out
            at = node[active]
            inner = ~self.leaf[at]
            active, at = active[inner], at[inner]
            if not active.size:
                break
            v = flat[(active // trees) * width + self.feature[at]]
            go_left = np.where(np.isnan(v), self.nan_left[at], v <= self.threshold[at])
            node[active] = np.where(go_left, self.left[at], self.right[at])
        node = node.reshape(n, trees)
        raw = self.baseline + np.ascontiguousarray(self.value[node]).sum(axis=1)
        return 1.0 / (1.0 + np.exp(-raw))


# ---------------------------------------------------------------- the core estimator


class _Core:
    """Everything fitted on one set of labelled records."""

    def __init__(
        self,
        records: Sequence[dict],
        seed: int,
        progress: ProgressFn,
        span: tuple[float, float],
        *,
        folds: int = CROSS_FOLDS,
        n_jobs: int = N_JOBS,
    ):
        lo, hi = span

        def step(frac: float, message: str) -> None:
            progress(lo + (hi - lo) * frac, message)

        n = len(records)
        self.seed = seed
        step(0.0, f"text features of {n} appeals")
        self.text = _Text(n)
        texts = [str(r.get("text") or "") for r in records]
        x_text = self.text.fit_transform(texts)
        self.districts = sorted({str(r.get("district")) for r in records if r.get("district")})
        self.reasons = sorted({str(r["reason"]) for r in records})
        self.categories = sorted({str(r["category"]) for r in records})
        self.orgs = sorted({str(r["responsible_org"]) for r in records if r.get("responsible_org")})
        r_idx = {v: i for i, v in enumerate(self.reasons)}
        o_idx = {v: i for i, v in enumerate(self.orgs)}
        c_idx = {v: i for i, v in enumerate(self.categories)}
        nr, no, nc = len(self.reasons), len(self.orgs), len(self.categories)
        no1 = max(no, 1)  # at least one organisation column, even with none known
        y_r = np.array([r_idx[str(r["reason"])] for r in records])
        y_o = np.array([o_idx.get(str(r.get("responsible_org") or ""), -1) for r in records])
        y_c = np.array([c_idx[str(r["category"])] for r in records])
        # P(category | reason) from the training counts (one reason can sit in two categories)
        m = np.zeros((nr, nc))
        np.add.at(m, (y_r, y_c), 1)
        self.reason_to_category = m / m.sum(axis=1, keepdims=True)
        self.category_share = np.bincount(y_c, minlength=nc) / n
        self.alpha = 0.0

        step(0.05, "places")
        xy, valid = _points(records)
        days = _days(records)
        self.first_day = float(np.nanmin(days)) if np.isfinite(days).any() else 0.0
        self.places = _Places(xy, valid, days)
        self.place_reason = y_r[self.places.rows]
        self.place_org = y_o[self.places.rows]
        self.district_tree = KDTree(xy[valid] if valid.any() else np.full((1, 2), 1e7))
        self.geo_districts = np.array(
            [str(r.get("district") or "") for r in records], dtype=object
        )[self.places.rows]
        pairs = self.places.pairs(xy, valid, exclude_self=True)
        d_code = self._district_codes(records)
        base = self._base(x_text, d_code, records)
        x_reason = sp.hstack([base, self._reason_vote(pairs, days, n)], format="csr")

        # cross-fitting folds (over all rows); each fold's models never see its rows
        use_folds = n >= MIN_CROSS_FIT and folds >= 2
        splits = (
            list(KFold(folds, shuffle=True, random_state=seed).split(np.zeros(n)))
            if use_folds
            else []
        )

        step(0.1, f"sub-category classifier ({nr} classes), {len(splits)} folds + all")

        self.reason_clf, self.t_reason, p_reason = _cross_fitted(
            x_reason, y_r, np.ones(n, dtype=bool), _C_REASON, nr, splits, seed, n_jobs
        )
        step(0.45, "organisation features")
        # priors over organisations: district x reason, and district x reason x week
        self.n_weeks = 1 << 30  # not clamped yet: count the weeks first
        week = self._week(days)
        self.n_weeks = int(week.max()) + 1 if week.size else 1
        has_o = y_o >= 0
        counts = np.zeros((len(self.districts) + 1, nr, max(no, 1)), dtype=np.float64)
        np.add.at(counts, (d_code[has_o], y_r[has_o], y_o[has_o]), 1)
        week_counts = np.zeros(
            (len(self.districts) + 1, nr, max(no, 1), self.n_weeks), dtype=np.float32
        )
        np.add.at(week_counts, (d_code[has_o], y_r[has_o], y_o[has_o], week[has_o]), 1)
        kernel = np.exp(-np.abs(np.arange(-_WEEK_REACH, _WEEK_REACH + 1)) / _WEEK_TAU)
        from scipy.ndimage import convolve1d

        week_counts = convolve1d(week_counts, kernel.astype(np.float32), axis=3, mode="constant")
        self.prior_dr = self._normalise(counts)
        self.prior_drw = self._normalise(week_counts).astype(np.float32)
        pdr = self._prior_loo(counts, d_code, y_r, y_o, p_reason, 1.0, None)
        pdrw = self._prior_loo(
            week_counts, d_code, y_r, y_o, p_reason, float(kernel[_WEEK_REACH]), week
        )

        votes = self._org_votes(pairs, days, n, p_reason)
        x_org = sp.hstack([base, votes, self._district_x_reason(d_code, p_reason)], format="csr")
        step(0.5, f"organisation classifier ({no} classes), {len(splits)} folds + all")

        self.org_clf, self.t_org, p_org = _cross_fitted(
            x_org, y_o, has_o, _C_ORG, no1, splits, seed, n_jobs
        )

        step(0.8, "organisation reranker")
        self.reranker: _Trees | None = None
        cand, feats = self._candidates(p_org, pdr, pdrw, votes, p_reason, d_code, days, records)
        right = cand == y_o[:, None]
        target = right.ravel().astype(int)
        row_of = np.repeat(np.arange(n), cand.shape[1])
        usable = has_o[row_of]
        fit_rows = usable & (cand.ravel() >= 0)
        s_rerank = None
        if no >= 2 and fit_rows.any() and 0 < target[fit_rows].sum() < fit_rows.sum():
            step(0.82, f"organisation reranker on {int(fit_rows.sum())} candidates")
            fitted_all = self._fit_reranker(feats[fit_rows], target[fit_rows])
            self.reranker = _Trees(fitted_all, feats[fit_rows][:2000])
            if splits:
                s_rerank = np.zeros(row_of.size)
                for k, (tr, te) in enumerate(splits):
                    step(0.85 + 0.03 * k, f"organisation reranker, fold {k + 1}/{len(splits)}")
                    in_tr = np.isin(row_of, tr) & fit_rows
                    in_te = np.isin(row_of, te)
                    if 0 < target[in_tr].sum() < in_tr.sum():
                        model = self._fit_reranker(feats[in_tr], target[in_tr])
                        with threadpool_limits(limits=1, user_api="openmp"):
                            s_rerank[in_te] = model.predict_proba(feats[in_te])[:, 1]
                    else:
                        s_rerank[in_te] = feats[in_te, 0]
        # Calibrated only when there were folds to read the calibration off (see _calibrate).
        self.cal_category: _Calibrator | None = None
        self.cal_reason: _Calibrator | None = None
        self.cal_org: _Calibrator | None = None
        self.out_of_fold: dict | None = None
        if splits:
            step(0.95, "calibration and thresholds")
            self.out_of_fold = self._calibrate(p_reason, y_r, y_c, y_o, p_org, cand, s_rerank)
        step(1.0, "fitted")

    # -- feature blocks
    def _district_codes(self, records: Sequence[dict]) -> np.ndarray:
        """Index of the district in `self.districts`; unknown districts share the last code."""
        d_idx = {d: i for i, d in enumerate(self.districts)}
        return np.array(
            [d_idx.get(str(r.get("district")), len(self.districts)) for r in records], dtype=int
        )

    def _base(self, x_text: sp.csr_matrix, d_code: np.ndarray, records: Sequence[dict]):
        # Whether the appeal has a street address (a house) or only a point (a yard, a street):
        # a cheap, legitimate stand-in for the kind of object.
        no_address = np.array([0.0 if r.get("address") else 1.0 for r in records])
        return sp.hstack(
            [
                x_text,
                _onehot(np.where(d_code < len(self.districts), d_code, -1), len(self.districts)),
                sp.csr_matrix(no_address[:, None]),
            ],
            format="csr",
            dtype=np.float32,
        )

    def _reason_vote(self, pairs, days: np.ndarray, n: int) -> sp.csr_matrix:
        return _votes(
            pairs,
            n,
            self.place_reason,
            len(self.reasons),
            [_REASON_VOTE],
            days_query=days,
            days_place=self.places.days,
        )

    def _org_votes(self, pairs, days: np.ndarray, n: int, p_reason: np.ndarray):
        return _votes(
            pairs,
            n,
            self.place_org,
            max(len(self.orgs), 1),
            _ORG_VOTES,
            days_query=days,
            days_place=self.places.days,
            reason_place=self.place_reason,
            p_reason=p_reason,
        )

    def _district_x_reason(self, d_code: np.ndarray, p_reason: np.ndarray) -> sp.csr_matrix:
        """District crossed with the three likeliest reasons, weighted by their probability."""
        nd, nr = len(self.districts), len(self.reasons)
        idx, val = _top_k_sparse(p_reason, 3)
        rows = np.repeat(np.arange(len(d_code)), idx.shape[1])
        dist = np.repeat(d_code, idx.shape[1])
        ok = dist < nd
        return sp.csr_matrix(
            (val.ravel()[ok], (rows[ok], dist[ok] * nr + idx.ravel()[ok])),
            shape=(len(d_code), max(nd, 1) * nr),
        )

    def _week(self, days: np.ndarray) -> np.ndarray:
        """Week since the first training appeal, clamped to the weeks the model has seen."""
        week = np.floor((np.nan_to_num(days, nan=self.first_day) - self.first_day) / 7)
        return np.clip(week, 0, self.n_weeks - 1).astype(int)

    @staticmethod
    def _normalise(counts: np.ndarray) -> np.ndarray:
        smoothed = counts + _PRIOR_SMOOTH
        return smoothed / smoothed.sum(axis=2, keepdims=True)

    def _prior_loo(self, counts, d_code, y_r, y_o, p_reason, own, week) -> np.ndarray:
        """sum over reasons of P(reason) x P(organisation | district, reason[, week]) for the
        training rows, each computed without its own appeal (its own count taken out)."""
        n, no = len(d_code), counts.shape[2]
        out = np.zeros((n, no))
        groups: dict[tuple[int, int], list[int]] = {}
        for i in range(n):
            groups.setdefault((int(d_code[i]), int(week[i]) if week is not None else 0), []).append(
                i
            )
        for (d, w), members in groups.items():
            rows = np.asarray(members)
            table = counts[d] if week is None else counts[d, :, :, w]
            norm = self._normalise(table[None])[0]
            out[rows] = p_reason[rows] @ norm
            # leave one out: only the row of the appeal's own reason changes
            own_rows = rows[y_o[rows] >= 0]
            if own_rows.size:
                r, o = y_r[own_rows], y_o[own_rows]
                changed = table[r].astype(np.float64).copy()
                changed[np.arange(own_rows.size), o] -= own
                changed = np.maximum(changed, 0.0) + _PRIOR_SMOOTH
                changed /= changed.sum(axis=1, keepdims=True)
                out[own_rows] += p_reason[own_rows, r][:, None] * (changed - norm[r])
        return out

    def _priors(self, d_code: np.ndarray, days: np.ndarray, p_reason: np.ndarray):
        """The two priors for new appeals (the training counts include no new appeal, so
        nothing is left out), in chunks so a large batch does not need n x reasons x orgs."""
        week = self._week(days)
        n, no = len(d_code), self.prior_dr.shape[2]
        pdr, pdrw = np.zeros((n, no)), np.zeros((n, no))
        for a in range(0, n, 256):
            b = min(a + 256, n)
            pdr[a:b] = np.einsum("nr,nro->no", p_reason[a:b], self.prior_dr[d_code[a:b]])
            table = self.prior_drw[d_code[a:b], :, :, week[a:b]].astype(np.float64)
            pdrw[a:b] = np.einsum("nr,nro->no", p_reason[a:b], table)
        return pdr, pdrw

    def _candidates(self, p_org, pdr, pdrw, votes, p_reason, d_code, days, records):
        """The likeliest organisations of each appeal and, per candidate, the numbers the
        reranker reads. Returns (candidates n x k, features (n*k) x f)."""
        n, no = p_org.shape
        k = min(_CANDIDATES, no)
        cand = np.argsort(-(p_org + 0.5 * pdr), axis=1, kind="stable")[:, :k]
        row = np.repeat(np.arange(n), k)
        org = cand.ravel()
        when = [_when(r.get("created")) for r in records]
        appeal = np.array(
            [
                [
                    (np.nan_to_num(days[i], nan=self.first_day) - self.first_day),
                    w.hour if w else -1,
                    w.weekday() if w else -1,
                    len(str(r.get("text") or "")),
                    1.0 if r.get("address") else 0.0,
                    p_reason[i].max(),
                ]
                for i, (r, w) in enumerate(zip(records, when, strict=True))
            ]
        ).reshape(n, 6)
        p = p_org[row, org]
        cols = [p, np.log(p + 1e-9), p_org.max(axis=1)[row], pdr[row, org], pdrw[row, org]]
        cols.append(np.tile(np.arange(k), n).astype(float))
        width = max(no, 1) + 1
        for block in range(len(_ORG_VOTES)):
            cols.append(np.asarray(votes[row, block * width + org]).ravel())
            cols.append(votes[:, block * width + width - 1].toarray().ravel()[row])
        cols += [appeal[row, j] for j in range(appeal.shape[1])]
        # the identities as plain numbers: as good as categorical splits here (measured), and
        # they keep the trees simple enough to evaluate with a few numpy operations
        cols += [org.astype(float), p_reason.argmax(axis=1)[row].astype(float), d_code[row]]
        return cand, np.column_stack(cols).astype(np.float64)

    def _fit_reranker(self, x: np.ndarray, y: np.ndarray) -> HistGradientBoostingClassifier:
        model = HistGradientBoostingClassifier(
            max_iter=250,
            learning_rate=0.1,
            max_leaf_nodes=31,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=self.seed,
        )
        # one OpenMP thread: on the shared 2-core machine two spinning OpenMP threads were
        # measured 20x slower than one when the other core was busy
        with threadpool_limits(limits=1, user_api="openmp"):
            return model.fit(x, y)

    # -- calibration on the out-of-fold outputs
    def _decide(self, p_reason: np.ndarray, alpha: float):
        """Category (prior-corrected sum of reason probabilities), its probability, and the
        best reason inside it."""
        # einsum, not @: a BLAS product may sum in another order for one row than for many
        p_category = np.einsum("nr,rc->nc", p_reason, self.reason_to_category)
        corrected = p_category / np.power(np.maximum(self.category_share, 1e-9), alpha)
        corrected /= corrected.sum(axis=1, keepdims=True)
        category = corrected.argmax(axis=1)
        inside = self.reason_to_category[:, category].T > 0
        reason = np.where(inside, p_reason, -1).argmax(axis=1)
        # the confidence is read off the uncorrected probability of the chosen category: it
        # ranks right and wrong answers better (more appeals auto-routed at the same precision)
        return category, p_category[np.arange(len(category)), category], reason

    def _choose(self, cand: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The candidate the reranker scores highest and its share of the candidates' scores."""
        s = s.reshape(cand.shape)
        best = s.argmax(axis=1)
        total = s.sum(axis=1)
        share = s[np.arange(len(best)), best] / np.where(total > 0, total, 1.0)
        return cand[np.arange(len(best)), best], share

    def _calibrate(self, p_reason, y_r, y_c, y_o, p_org, cand, s_rerank) -> dict:
        from sklearn.metrics import f1_score

        best_alpha, best_f1 = 0.0, -1.0
        for alpha in _ALPHAS:
            category, _, _ = self._decide(p_reason, float(alpha))
            f1 = f1_score(
                y_c,
                category,
                labels=list(range(len(self.categories))),
                average="macro",
                zero_division=0,
            )
            if f1 > best_f1 + 1e-9:
                best_alpha, best_f1 = float(alpha), f1
        self.alpha = best_alpha
        category, top_c, reason = self._decide(p_reason, self.alpha)
        top_r = p_reason[np.arange(len(reason)), reason]
        if s_rerank is not None:
            org, top_o = self._choose(cand, s_rerank)
        else:
            org, top_o = p_org.argmax(axis=1), p_org.max(axis=1)
        has_o = y_o >= 0
        self.cal_category = cal_category = _Calibrator(top_c, category == y_c)
        self.cal_reason = cal_reason = _Calibrator(top_r, reason == y_r)
        self.cal_org = cal_org = _Calibrator(top_o[has_o], (org == y_o)[has_o])
        return {
            "category": category,
            "y_category": y_c,
            "category_confidence": cal_category(top_c),
            "reason": reason,
            "y_reason": y_r,
            "reason_confidence": cal_reason(top_r),
            "org": org,
            "y_org": y_o,
            "org_confidence": cal_org(top_o),
        }

    # -- scoring
    def predict(self, records: Sequence[dict]) -> dict[str, np.ndarray]:
        """Category, reason and organisation indices with calibrated confidences. Every step
        works row by row, so an appeal gets the same answer alone or in a batch."""
        n = len(records)
        x_text = self.text.transform([str(r.get("text") or "") for r in records])
        d_code = self._district_codes(records)
        base = self._base(x_text, d_code, records)
        xy, valid = _points(records)
        days = _days(records)
        pairs = self.places.pairs(xy, valid, exclude_self=False)
        x_reason = sp.hstack([base, self._reason_vote(pairs, days, n)], format="csr")
        p_reason = _softmax(self.reason_clf.scores(x_reason), self.t_reason)
        category, top_c, reason = self._decide(p_reason, self.alpha)
        top_r = p_reason[np.arange(n), reason]
        out = {"category": category, "reason": reason}
        if self.orgs:
            votes = self._org_votes(pairs, days, n, p_reason)
            x_org = sp.hstack(
                [base, votes, self._district_x_reason(d_code, p_reason)], format="csr"
            )
            p_org = _softmax(self.org_clf.scores(x_org), self.t_org)
            pdr, pdrw = self._priors(d_code, days, p_reason)
            if self.reranker is not None:
                cand, feats = self._candidates(
                    p_org, pdr, pdrw, votes, p_reason, d_code, days, records
                )
                org, top_o = self._choose(cand, self.reranker.predict(feats))
            else:
                org, top_o = p_org.argmax(axis=1), p_org.max(axis=1)
        else:
            org, top_o = np.full(n, -1), np.zeros(n)
        out["org"] = org
        out["category_confidence"] = (self.cal_category or _identity)(top_c)
        out["reason_confidence"] = (self.cal_reason or _identity)(top_r)
        out["org_confidence"] = (self.cal_org or _identity)(top_o)
        return out

    def district_from_point(self, lat: Any, lon: Any) -> str | None:
        point = _xy(lat, lon)
        if point is None or len(self.places.rows) == 0:
            return None
        k = min(7, len(self.places.rows))
        dist, ind = self.district_tree.query(np.array([point]), k=k)
        dist, ind = dist[0], ind[0]
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
        "category_macro_f1": float(
            f1_score(y_c, p_c, labels=labels, average="macro", zero_division=0)
        )
        if len(y_c)
        else None,
        "category_accuracy": float(np.mean(y_c == p_c)) if len(y_c) else None,
        "reason_accuracy": float(np.mean(out["y_reason"] == out["reason"])) if len(y_c) else None,
        "org_accuracy": float(np.mean(out["org"][has_o] == out["y_org"][has_o]))
        if has_o.any()
        else None,
        "category_confusion": confusion_matrix(y_c, p_c, labels=labels).tolist()
        if len(y_c)
        else [],
    }


def _thresholds(out: dict, categories: list[str], target: float) -> dict[str, float]:
    result = {}
    for i, name in enumerate(categories):
        m = out["category"] == i
        if m.sum() < MIN_THRESHOLD_SUPPORT:
            result[name] = NEVER
            continue
        result[name] = auto_route_threshold(
            out["category_confidence"][m], out["y_category"][m] == i, target
        )
    return result


def fit_model(
    records: list[dict],
    *,
    seed: int = 0,
    progress: ProgressFn | None = None,
    target_precision: float = TARGET_PRECISION,
    folds: int = CROSS_FOLDS,
    n_jobs: int = N_JOBS,
) -> tuple[_Core, dict]:
    """Fit on all the records, cross-fitting `folds` folds for the stacked features; calibrate
    and choose the auto-route thresholds on the out-of-fold outputs. Returns the fitted core and
    the out-of-fold report (empty metrics when there were too few records to cross-fit)."""
    progress = progress or (lambda fraction, message: None)
    records = _usable(records)
    if len(records) < 2:
        raise ValueError("need at least two labelled appeals (category and reason) to train")
    core = _Core(records, seed, progress, (0.0, 0.97), folds=folds, n_jobs=n_jobs)
    out, core.out_of_fold = core.out_of_fold, None
    held_out: dict = {}
    if out is not None:
        has_o = out["y_org"] >= 0
        held_out = {
            "metrics": _label_metrics(out, core.categories),
            "thresholds": _thresholds(out, core.categories, target_precision),
            "calibration": {
                "temperature_reason": core.t_reason,
                "temperature_org": core.t_org,
                "category_prior_alpha": core.alpha,
                "ece_category": ece(
                    out["category_confidence"], out["category"] == out["y_category"]
                ),
                "ece_reason": ece(out["reason_confidence"], out["reason"] == out["y_reason"]),
                "ece_org": ece(out["org_confidence"][has_o], (out["org"] == out["y_org"])[has_o]),
            },
            "categories": core.categories,
        }
    thresholds = held_out.get("thresholds", {})
    held_out["thresholds"] = {c: thresholds.get(c, NEVER) for c in core.categories}
    return core, held_out


def train(
    records: Iterable[dict], *, out_dir: Path, progress: ProgressFn | None = None, seed: int = 0
) -> dict:
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
        "reason -> prior-corrected category; organisation: LinearSVC on text, district x "
        "reason and reason-matched space-time votes, reranked by HistGradientBoosting with "
        "district x reason (x week) priors; stacked features and isotonic calibration from "
        f"{CROSS_FOLDS}-fold cross-fitting",
        "metrics": held_out.get("metrics", {}),
        "metrics_split": f"out-of-fold: {CROSS_FOLDS}-fold cross-fitting on the training data "
        f"(each appeal scored by models fitted on the other {CROSS_FOLDS - 1} folds)",
        "confusion_matrix": {
            "labels": held_out.get("categories", core.categories),
            "rows": held_out.get("metrics", {}).get("category_confusion", []),
        },
        "calibration": held_out.get("calibration", {}),
        "auto_route_target_precision": TARGET_PRECISION,
        "auto_route_thresholds": held_out["thresholds"],
        "labels": {
            "category": core.categories,
            "reason": core.reasons,
            "responsible_org": core.orgs,
            "district": core.districts,
        },
        "district_max_km": DISTRICT_MAX_KM,
        "train_seconds": None,
        "runtime": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
    }
    metadata.get("metrics", {}).pop("category_confusion", None)
    joblib.dump(core, out_dir / MODEL_FILE, compress=3)
    metadata["train_seconds"] = round(time.perf_counter() - started, 1)
    (out_dir / METADATA_FILE).write_text(
        json.dumps(metadata, ensure_ascii=False, indent=1), encoding="utf-8"
    )
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
                raise ModelLoadError(
                    f"{path}: format {metadata.get('format')!r}, expected {FORMAT!r}"
                )
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
            result.append(
                Prediction(
                    category=core.categories[int(out["category"][i])],
                    category_confidence=round(float(out["category_confidence"][i]), 4),
                    reason=core.reasons[int(out["reason"][i])],
                    reason_confidence=round(float(out["reason_confidence"][i]), 4),
                    responsible_org=core.orgs[org] if org >= 0 else None,
                    responsible_org_confidence=round(float(out["org_confidence"][i]), 4)
                    if org >= 0
                    else 0.0,
                )
            )
        return result

    def auto_route(self, prediction: Prediction) -> bool:
        """Whether the prediction is confident enough to route without a person."""
        threshold = self.thresholds.get(prediction.category or "", NEVER)
        return prediction.category_confidence >= threshold

    def district_from_point(self, lat: float, lon: float) -> str | None:
        return self._core.district_from_point(lat, lon)
