"""`qyzmet appeals_predict --model DIR --in FILE.jsonl.gz --out PRED.jsonl`: one JSON line per
input appeal with the routing model's category, sub-category and organisation and their
confidences. Only text, created, district, lat, lon and address of the input are read."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

BATCH = 512
KEYS = ("id", "category", "category_confidence", "reason", "reason_confidence",
        "responsible_org", "responsible_org_confidence")


class Command(BaseCommand):
    help = "Predict category, sub-category and responsible organisation for JSONL(.gz) appeals."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--model", required=True, type=Path, help="model directory")
        parser.add_argument("--in", dest="in_path", required=True, type=Path,
                            help="FILE.jsonl or .jsonl.gz")
        parser.add_argument("--out", required=True, type=Path, help="PRED.jsonl to write")

    def handle(self, *args, model: Path, in_path: Path, out: Path, **options) -> None:
        from qyzmet.appeals.ml import ModelLoadError, RoutingModel, read_jsonl

        try:
            routing = RoutingModel.load(model)
        except ModelLoadError as exc:
            raise CommandError(f"--model: {exc}") from exc
        if not in_path.is_file():
            raise CommandError(f"--in {in_path}: no such file")
        out.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with open(out, "w", encoding="utf-8") as fh:
            batch: list[dict] = []
            try:
                for record in read_jsonl(in_path):
                    batch.append(record)
                    if len(batch) >= BATCH:
                        count += self._write(fh, routing, batch)
                        batch = []
                count += self._write(fh, routing, batch)
            except ValueError as exc:
                raise CommandError(f"--in {in_path}: cannot read JSON lines: {exc}") from exc
        self.stdout.write(f"wrote {count} predictions to {out} (model {routing.version})")

    @staticmethod
    def _write(fh, routing, batch: list[dict]) -> int:
        if not batch:
            return 0
        for record, prediction in zip(batch, routing.predict(batch), strict=True):
            line = {"id": record.get("id"), **prediction.as_dict()}
            fh.write(json.dumps({k: line[k] for k in KEYS}, ensure_ascii=False) + "\n")
        return len(batch)
