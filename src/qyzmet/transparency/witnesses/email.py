"""The e-mail witness: each head mailed (Django mail) to a mailbox kept by another party, e.g.
an oversight body's archive. The message body is the head document itself, so a saved message
(or its body saved as `sth-<size>.json`) can be given to `verify_tree_heads --witness`."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from .base import Witness, WitnessFailed, head_bytes, register


@register("email")
class EmailWitness(Witness):
    def __init__(
        self, *, to: str | list[str], from_email: str | None = None, name: str = ""
    ) -> None:
        recipients = [to] if isinstance(to, str) else list(to)
        if not recipients:
            raise KeyError("'to' needs at least one address")
        super().__init__(to=recipients, name=name)
        self.to = recipients
        self.from_email = from_email

    def where(self) -> str:
        return ",".join(self.to)

    def publish(self, head: dict[str, Any]) -> None:
        subject = _("Qyzmet transparency log: signed tree head %(size)s") % {
            "size": head["tree_size"]
        }
        message = EmailMessage(
            subject=subject,
            body=head_bytes(head).decode(),
            from_email=self.from_email,
            to=self.to,
            headers={"X-Qyzmet-Tree-Size": str(head["tree_size"])},
        )
        try:
            message.send(fail_silently=False)
        except Exception as exc:  # SMTP errors are of many types; all mean "try again later"
            raise WitnessFailed(f"{self.name}: {exc}") from exc
