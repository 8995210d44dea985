"""`qyzmet appeals_train --data FILE.jsonl.gz --out DIR`: train the routing model on appeals in
the JSONL format of the St Petersburg data set and write a model directory."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Train the appeals routing model on a JSONL(.gz) file of labelled appeals."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--data", required=True, type=Path, help="FILE.jsonl or .jsonl.gz")
        parser.add_argument("--out", required=True, type=Path, help="model directory to write")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--limit", type=int, default=0,
            help="train on a random sample of this many appeals (a quick demo model)",
        )

    def handle(self, *args, data: Path, out: Path, seed: int, limit: int, **options) -> None:
        from qyzmet.appeals.ml import read_jsonl, train

        if not data.is_file():
            raise CommandError(f"--data {data}: no such file")
        try:
            records = list(read_jsonl(data))
        except (OSError, ValueError) as exc:
            raise CommandError(f"--data {data}: cannot read JSON lines: {exc}") from exc
        if limit and len(records) > limit:
            import random

            records = random.Random(seed).sample(records, limit)
        self.stdout.write(f"read {len(records)} appeals from {data}")

        def progress(fraction: float, message: str) -> None:
            self.stdout.write(f"[{fraction:6.1%}] {message}")
            self.stdout.flush()

        try:
            metadata = train(records, out_dir=out, progress=progress, seed=seed)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        metrics = metadata.get("metrics", {})
        auto = sum(1 for t in metadata["auto_route_thresholds"].values() if t <= 1)
        summary = {
            "model": str(out),
            "version": metadata["version"],
            "n_train": metadata["n_train"],
            "data_fingerprint": metadata["data_fingerprint"],
            "train_seconds": metadata["train_seconds"],
            "categories": len(metadata["labels"]["category"]),
            "reasons": len(metadata["labels"]["reason"]),
            "organisations": len(metadata["labels"]["responsible_org"]),
            "categories_with_auto_route": auto,
            "holdout_20pct": {k: v for k, v in metrics.items() if k != "category_confusion"},
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=1))
