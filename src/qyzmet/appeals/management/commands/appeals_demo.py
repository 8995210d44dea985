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

    def handle(self, *args, **options) -> None:
        model = options.get("model") or os.environ.get("QYZMET_DEMO_MODEL_DIR")
        model_dir = Path(model) if model else model_store() / "demo"
        result = appeals_demo_load(model_dir=model_dir if model_dir.is_dir() else None)
        self.stdout.write(
            f"Appeals demo: {result['appeals']} appeals created, "
            f"{result['organisations']} organisations created, model id {result['model']}"
        )
        self.stdout.write(f"Open311 api_key: {result['api_key']}")
