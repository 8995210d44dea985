"""Load the demo: the registries (deterministic), the agencies, the demo logins.

Idempotent: when the population already holds at least `--count` persons it is left alone, and
organisations, users and memberships are only created when missing."""

from __future__ import annotations

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandParser

from qyzmet.countries.kz import demo
from qyzmet.registries.population.models import Person


class Command(BaseCommand):
    help = "Fill the demo registries, agencies and demo logins (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=10_000, help="persons to generate")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")

    def handle(self, *args, count: int, seed: int, **options) -> None:
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
        if "check_services" in get_commands():
            call_command("check_services", stdout=self.stdout, stderr=self.stderr)
        self.stdout.write(self.style.SUCCESS("Demo loaded. See the logins: qyzmet demo_logins"))
