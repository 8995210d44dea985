"""Honest evaluation: K-fold cross-validation and a time split, each fitting our model and the
TF-IDF + logistic-regression baseline (the approach Signalen uses) on the training part only and
scoring both on the test part. Everything our model learns (vocabulary, place votes and priors,
the cross-fitted stacked features, calibration, auto-route thresholds) comes from inside the
training part (`fit_model` cross-fits within it), never from the fold that is scored."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import OneHotEncoder

from .data import features_only
from .model import NEVER, _usable, ece, fit_model

ProgressFn = Callable[[float, str], None]


def _baseline(train: Sequence[dict], test: Sequence[dict]) -> dict[str, np.ndarray]:
    """TF-IDF word 1-2-grams + LogisticRegression per target; district one-hot added for org."""
    texts = [str(r.get("text") or "") for r in train]
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x = vec.fit_transform(texts)
    xt = vec.transform([str(r.get("text") or "") for r in test])
    oh = OneHotEncoder(handle_unknown="ignore")
    d = oh.fit_transform([[str(r.get("district"))] for r in train])
    dt_ = oh.transform([[str(r.get("district"))] for r in test])
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for field in ("category", "reason"):
            clf = LogisticRegression(C=10, max_iter=200)
            clf.fit(x, [r[field] for r in train])
            out[field] = clf.predict(xt)
            if field == "category":
                out["category_confidence"] = clf.predict_proba(xt).max(axis=1)
        has = [i for i, r in enumerate(train) if r.get("responsible_org")]
        xo = sp.hstack([x, d]).tocsr()
        clf = LogisticRegression(C=10, max_iter=200)
        clf.fit(xo[has], [train[i]["responsible_org"] for i in has])
        out["org"] = clf.predict(sp.hstack([xt, dt_]).tocsr())
    return out


def _score_fold(
    train: list[dict], test: list[dict], seed: int, progress: ProgressFn, with_baseline: bool
) -> dict:
    started = time.perf_counter()
    core, held = fit_model(train, seed=seed, progress=progress)
    fit_seconds = time.perf_counter() - started
    thresholds = held["thresholds"]
    pred = core.predict([features_only(r) for r in test])
    cats = np.array(core.categories, dtype=object)
    p_cat = cats[pred["category"]]
    p_reason = np.array(core.reasons, dtype=object)[pred["reason"]]
    orgs = np.array([*core.orgs, None], dtype=object)
    p_org = orgs[pred["org"]]
    y_cat = np.array([r["category"] for r in test], dtype=object)
    y_reason = np.array([r["reason"] for r in test], dtype=object)
    y_org = np.array([r.get("responsible_org") for r in test], dtype=object)
    has_org = np.array([bool(o) for o in y_org])
    conf = pred["category_confidence"]
    auto = np.array([c >= thresholds.get(k, NEVER) for c, k in zip(conf, p_cat, strict=True)])
    ours = _metrics(y_cat, p_cat, y_reason, p_reason, y_org, p_org, has_org)
    ours.update(
        {
            "auto_route_share": float(auto.mean()),
            "auto_route_precision": float((p_cat[auto] == y_cat[auto]).mean())
            if auto.any()
            else None,
            "ece_category": ece(conf, p_cat == y_cat),
            "ece_reason": ece(pred["reason_confidence"], p_reason == y_reason),
            "ece_org": ece(pred["org_confidence"][has_org], (p_org == y_org)[has_org]),
            "fit_seconds": fit_seconds,
        }
    )
    result = {
        "ours": ours,
        "n_test": len(test),
        "n_train": len(train),
        "labels": core.categories,
        "y_category": y_cat.tolist(),
        "p_category": p_cat.tolist(),
    }
    if with_baseline:
        started = time.perf_counter()
        base = _baseline(train, test)
        b = _metrics(y_cat, base["category"], y_reason, base["reason"], y_org, base["org"], has_org)
        b["fit_seconds"] = time.perf_counter() - started
        result["baseline"] = b
    return result


def _metrics(y_cat, p_cat, y_reason, p_reason, y_org, p_org, has_org) -> dict:
    labels = sorted(set(y_cat))
    return {
        "category_macro_f1": float(
            f1_score(y_cat, p_cat, labels=labels, average="macro", zero_division=0)
        ),
        "category_accuracy": float(np.mean(np.asarray(p_cat, dtype=object) == y_cat)),
        "reason_accuracy": float(np.mean(np.asarray(p_reason, dtype=object) == y_reason)),
        "org_accuracy": float(np.mean((np.asarray(p_org, dtype=object) == y_org)[has_org]))
        if has_org.any()
        else None,
    }


def _summarise(folds: list[dict]) -> dict:
    summary: dict = {}
    for model in ("ours", "baseline"):
        rows = [f[model] for f in folds if model in f]
        if not rows:
            continue
        summary[model] = {}
        for key in rows[0]:
            values = [r[key] for r in rows if r[key] is not None]
            if values:
                summary[model][key] = {"mean": float(np.mean(values)), "std": float(np.std(values))}
    if "baseline" in summary:
        summary["ratio"] = {
            k: summary["ours"][k]["mean"] / summary["baseline"][k]["mean"]
            for k in ("category_macro_f1", "reason_accuracy", "org_accuracy")
            if k in summary["baseline"] and summary["baseline"][k]["mean"]
        }
    return summary


def _confusion(folds: list[dict]) -> dict:
    labels = sorted({c for f in folds for c in f["y_category"]})
    pos = {c: i for i, c in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=int)
    for f in folds:
        for y, p in zip(f["y_category"], f["p_category"], strict=True):
            if p in pos:
                m[pos[y], pos[p]] += 1
    return {"labels": labels, "rows": m.tolist()}


def cross_validate(
    records: list[dict],
    *,
    folds: int = 5,
    seed: int = 0,
    progress: ProgressFn | None = None,
    with_baseline: bool = True,
) -> dict:
    """Stratified K-fold (by category) of our model and the baseline on the same splits."""
    progress = progress or (lambda fraction, message: None)
    records = _usable(records)
    y = [r["category"] for r in records]
    counts = np.unique(y, return_counts=True)[1]
    splitter = StratifiedKFold(
        n_splits=min(folds, int(counts.max())), shuffle=True, random_state=seed
    )
    results = []
    for k, (tr, te) in enumerate(splitter.split(np.zeros(len(y)), y)):
        lo = k / folds

        def fold_progress(fraction: float, message: str, lo=lo, k=k) -> None:
            progress(lo + fraction / folds * 0.8, f"fold {k + 1}/{folds}: {message}")

        results.append(
            _score_fold(
                [records[i] for i in tr],
                [records[i] for i in te],
                seed,
                fold_progress,
                with_baseline,
            )
        )
        progress((k + 1) / folds, f"fold {k + 1}/{folds} scored")
    return {
        "folds": folds,
        "n": len(records),
        "per_fold": [_strip(r) for r in results],
        **_summarise(results),
        "confusion_matrix": _confusion(results),
    }


def time_split_validate(
    records: list[dict],
    *,
    seed: int = 0,
    progress: ProgressFn | None = None,
    with_baseline: bool = True,
) -> dict:
    """Train on every month before the last one, test on the last month: the hidden held-out
    appeals may well be later than the training file, so this is the more honest figure."""
    progress = progress or (lambda fraction, message: None)
    records = _usable(records)
    months = sorted({str(r.get("created") or "")[:7] for r in records})
    last = months[-1]
    train = [r for r in records if str(r.get("created") or "")[:7] < last]
    test = [r for r in records if str(r.get("created") or "")[:7] == last]
    result = _score_fold(train, test, seed, progress, with_baseline)
    summary = _summarise([result])
    return {
        "test_month": last,
        "n_train": len(train),
        "n_test": len(test),
        **{
            k: {m: v["mean"] for m, v in s.items()} if k != "ratio" else s
            for k, s in summary.items()
        },
    }


def _strip(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("y_category", "p_category", "labels")}
