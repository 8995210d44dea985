"""`qyzmet appeals_train` and `qyzmet appeals_predict` end to end on real files."""

from __future__ import annotations

import gzip
import io
import json

import pytest
from django.core.management import CommandError, call_command

from .conftest import needs_data

pytestmark = needs_data

KEYS = {
    "id",
    "category",
    "category_confidence",
    "reason",
    "reason_confidence",
    "responsible_org",
    "responsible_org_confidence",
}


def test_train_then_predict(sample, sample_file, tmp_path):
    data = tmp_path / "train.jsonl.gz"
    with gzip.open(data, "wt", encoding="utf-8") as fh:
        for row in sample[:1200]:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    out = tmp_path / "model"
    stdout = io.StringIO()
    call_command("appeals_train", "--data", str(data), "--out", str(out), stdout=stdout)
    text = stdout.getvalue()
    assert "read 1200 appeals" in text
    assert "%]" in text  # progress lines
    summary = json.loads(text[text.index("{") :])
    assert summary["n_train"] == 1200
    assert {"metadata.json", "manifest.json", "model.joblib"} <= {p.name for p in out.iterdir()}

    pred = tmp_path / "pred.jsonl"
    call_command(
        "appeals_predict",
        "--model",
        str(out),
        "--in",
        str(sample_file),
        "--out",
        str(pred),
        stdout=io.StringIO(),
    )
    lines = [json.loads(line) for line in pred.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 200
    assert all(set(line) == KEYS for line in lines)
    assert [line["id"] for line in lines] == [r["id"] for r in sample[2600:2800]]
    assert all(0 <= line["category_confidence"] <= 1 for line in lines)


def test_predict_refuses_a_broken_model(tmp_path, sample_file):
    (tmp_path / "m").mkdir()
    with pytest.raises(CommandError, match="--model"):
        call_command(
            "appeals_predict",
            "--model",
            str(tmp_path / "m"),
            "--in",
            str(sample_file),
            "--out",
            str(tmp_path / "p.jsonl"),
        )


def test_train_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "appeals_train", "--data", str(tmp_path / "none.jsonl.gz"), "--out", str(tmp_path / "m")
        )
