"""Print who can sign in to the demo, with the shared demo password."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from qyzmet.appeals.demo import DEMO_API_KEY
from qyzmet.countries.kz import demo


class Command(BaseCommand):
    help = "Print the demo logins (role, name, IIN, password)."

    def handle(self, *args, **options) -> None:
        rows = [("Role", "Name", "IIN", "Password")]
        for login in demo.demo_logins():
            role = f"{login.role} ({login.agency})" if login.agency else login.role
            rows.append((role, login.full_name, login.iin, demo.DEMO_PASSWORD))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
        self.stdout.write(line)
        for n, row in enumerate(rows):
            cells = " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
            self.stdout.write(f"| {cells} |")
            if n == 0:
                self.stdout.write(line)
        self.stdout.write(line)
        self.stdout.write("One-time codes (embedded mode): http://127.0.0.1:8000/dev/otp/")
        self.stdout.write(f"Open311 api_key: {DEMO_API_KEY}  (POST http://127.0.0.1:8000/open311/v2/requests.json)")
