"""Demo data for appeals (idempotent); prints the demo Open311 api_key."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand

from qyzmet.ai.selectors import model_store
from qyzmet.appeals.demo import appeals_demo_load


class Command(BaseCommand):
    help = "Create demo appeal organisations, a demo Open311 api_key and a few demo appeals."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--model", help="a trained model directory to register and activate")
        parser.add_argument(
            "--gazetteer",
            help="a .jsonl(.gz) of earlier appeals with address, lat, lon and district to fill "
            "the address gazetteer from (default: $QYZMET_DEMO_GAZETTEER)",
        )

    def handle(self, *args, **options) -> None:
        model = options.get("model") or os.environ.get("QYZMET_DEMO_MODEL_DIR")
        model_dir = Path(model) if model else model_store() / "demo"
        places = options.get("gazetteer") or os.environ.get("QYZMET_DEMO_GAZETTEER")
        result = appeals_demo_load(
            model_dir=model_dir if model_dir.is_dir() else None,
            gazetteer_file=Path(places) if places else None,
        )
        self.stdout.write(
            f"Appeals demo: {result['appeals']} appeals created, "
            f"{result['organisations']} organisations created, model id {result['model']}"
        )
        if result["gazetteer"]:
            self.stdout.write(
                "Address gazetteer: {records} appeals → {houses} houses, {streets} streets".format(
                    **result["gazetteer"]
                )
            )
        self.stdout.write(f"Open311 api_key: {result['api_key']}")
