"""Load the demo: the registries (deterministic), the agencies, the demo logins.

Idempotent: when the population already holds at least `--count` persons it is left alone, and
organisations, users and memberships are only created when missing."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qyzmet.ai.selectors import model_store
from qyzmet.countries.kz import demo, demo_desk
from qyzmet.countries.kz.demo_registries import registries_extra_generate
from qyzmet.registries.population.models import Person
from qyzmet.registries.vehicles.models import Vehicle

# Where a developer's checkout keeps the published appeals data (never needed at run time).
APPEALS_DATA = Path("..") / "shared" / "data" / "appeals-spb" / "appeals-train.jsonl.gz"
DEMO_MODEL_SAMPLE = 6000


class Command(BaseCommand):
    help = "Fill the demo registries, agencies and demo logins (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=10_000, help="persons to generate")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")
        parser.add_argument(
            "--no-model", action="store_true",
            help="do not train the demo appeals-routing model nor fill the address gazetteer "
                 "and the appeals history from the appeals data, even if it is at hand",
        )

    def handle(self, *args, count: int, seed: int, no_model: bool = False, **options) -> None:
        if getattr(settings, "QYZMET_PRODUCTION", False):
            # Demo users sign in with a published password; the demo Open311 key is published.
            raise CommandError(
                "demo_load refuses to run under the production settings: it creates users with "
                "the published demo password and a published Open311 api_key. Load the demo "
                "with the embedded settings (qyzmet.settings.embedded) on a database of its own."
            )
        existing = Person.objects.count()
        if existing >= max(count, 1):
            self.stdout.write(f"Population registry: {existing} persons already, kept.")
        else:
            if existing:
                # A smaller dataset from an earlier run: regenerate rather than mix two seeds.
                demo.registries_clear()
            result = demo.population_generate(count=count, seed=seed)
            self.stdout.write(
                f"Population registry: {result.persons} persons, {result.addresses} addresses. "
                f"Legal entities: {result.entities} entities, {result.founders} founders "
                f"(seed {seed})."
            )
        created = demo.demo_accounts_ensure()
        self.stdout.write(
            "Created {organisations} organisations, {users} users, "
            "{memberships} memberships.".format(**created)
        )
        from qyzmet.budgets.demo import demo_budgets_ensure  # open budgets, through the upload
        self.stdout.write(f"Open budgets: {demo_budgets_ensure()} versions published.")
        if not Vehicle.objects.exists():
            extra = registries_extra_generate(seed=seed)
            self.stdout.write(f"Other registries: {extra}")
        commands = get_commands()
        for name in ("check_services", "exchange_sync", "pki_init"):
            if name in commands:
                call_command(name, stdout=self.stdout, stderr=self.stderr)
        # After the catalogue, the gateway's rights and the PKI: the cases are real submissions.
        cases = demo_desk.demo_open_cases_ensure()
        self.stdout.write(f"Open cases in the agencies' inboxes: {cases['cases']} created.")
        from qyzmet.countries.kz.demo_history import demo_history_ensure  # a past year, decided
        self.stdout.write(str(demo_history_ensure(seed=seed)))
        from qyzmet.participation.demo import legal_acts_demo_ensure  # draft acts for comment
        self.stdout.write(f"Draft legal acts for comment: {legal_acts_demo_ensure()['acts']}.")
        from qyzmet.dialogue.demo import demo_ensure as dialogue_demo  # questions to agency heads
        asked = dialogue_demo(author_iins=[demo.DEMO_CITIZEN_A_IIN, demo.DEMO_CITIZEN_B_IIN])
        self.stdout.write(f"Open dialogue questions: {asked['questions']}.")
        if not no_model:
            self._demo_model()
        # The address gazetteer learns from the same published appeals as the demo model, and
        # a sample of them becomes the last half year's past appeals (for the analytics).
        data = Path(os.environ.get("QYZMET_APPEALS_DATA", APPEALS_DATA))
        places = str(data) if data.is_file() and not no_model else None
        call_command("appeals_demo", gazetteer=places, history=places, stdout=self.stdout,
                     stderr=self.stderr)
        from qyzmet.opendata.performance_demo import performance_demo_ensure

        self.stdout.write(f"Agency performance: {performance_demo_ensure()} datasets published.")
        # Last: an agency's own dataset, then every generated dataset from all the demo data.
        from qyzmet.opendata.demo import opendata_demo_ensure

        self.stdout.write(f"Open data uploaded by an agency: {opendata_demo_ensure()} versions.")
        call_command("opendata_publish", stdout=self.stdout, stderr=self.stderr)
        self.stdout.write(self.style.SUCCESS("Demo loaded. See the logins: qyzmet demo_logins"))

    def _demo_model(self) -> None:
        """Train a small appeals-routing model for the demo from the published St Petersburg
        appeals when a checkout has them beside it; without them appeals go to human triage."""
        target = model_store() / "demo"
        data = Path(os.environ.get("QYZMET_APPEALS_DATA", APPEALS_DATA))
        if (target / "metadata.json").exists() or not data.is_file():
            return
        self.stdout.write(f"Training a demo routing model on {DEMO_MODEL_SAMPLE} appeals…")
        call_command(
            "appeals_train", data=data, out=target, limit=DEMO_MODEL_SAMPLE,
            stdout=open(os.devnull, "w"),  # noqa: SIM115
        )
