"""Demo data for appeals (idempotent); prints the demo Open311 api_key."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qyzmet.ai.selectors import model_store
from qyzmet.appeals.demo import HISTORY_COUNT, HISTORY_SOURCE, appeals_demo_load
from qyzmet.appeals.services import past_appeals_remove


class Command(BaseCommand):
    help = "Create demo appeal organisations, a demo Open311 api_key and a few demo appeals."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--model", help="a trained model directory to register and activate")
        parser.add_argument(
            "--gazetteer",
            help="a .jsonl(.gz) of earlier appeals with address, lat, lon and district to fill "
            "the address gazetteer from (default: $QYZMET_DEMO_GAZETTEER)",
        )
        parser.add_argument(
            "--history",
            help="a .jsonl(.gz) of earlier appeals (the St Petersburg format) to import a sample "
            "of as the last half year's past appeals, once (default: $QYZMET_DEMO_HISTORY)",
        )
        parser.add_argument(
            "--history-count",
            type=int,
            default=HISTORY_COUNT,
            help=f"how many past appeals to import (default {HISTORY_COUNT})",
        )
        parser.add_argument(
            "--history-remove",
            action="store_true",
            help=f"remove the imported past appeals (source '{HISTORY_SOURCE}') and stop",
        )

    def handle(self, *args, **options) -> None:
        if getattr(settings, "QYZMET_PRODUCTION", False) and not options.get("history_remove"):
            # The demo Open311 api_key is published in the source and in the README.
            raise CommandError(
                "appeals_demo refuses to run under the production settings: it creates the "
                "published demo Open311 api_key. Load the demo with the embedded settings."
            )
        if options.get("history_remove"):
            removed = past_appeals_remove(actor=None, source=HISTORY_SOURCE)
            self.stdout.write(f"Appeals history: {removed} past appeals removed")
            return
        model = options.get("model") or os.environ.get("QYZMET_DEMO_MODEL_DIR")
        model_dir = Path(model) if model else model_store() / "demo"
        places = options.get("gazetteer") or os.environ.get("QYZMET_DEMO_GAZETTEER")
        history = options.get("history") or os.environ.get("QYZMET_DEMO_HISTORY")
        result = appeals_demo_load(
            model_dir=model_dir if model_dir.is_dir() else None,
            gazetteer_file=Path(places) if places else None,
            history_file=Path(history) if history else None,
            history_count=options.get("history_count", HISTORY_COUNT),
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
        if result["history"]:
            self.stdout.write(
                "Appeals history: {created} past appeals imported, {existing} already there, "
                "{skipped} skipped".format(**result["history"])
            )
        self.stdout.write(f"Open311 api_key: {result['api_key']}")
