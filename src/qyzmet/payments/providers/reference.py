"""Pay by reference: the citizen pays the invoice at any bank, in a banking app or at a public
service centre, quoting the invoice number (the payment's `reference`) as the purpose of the
transfer to the platform's account. There is no hosted page and no webhook: the money is seen
only when the bank's ISO 20022 camt.053 statement is imported (`statements.statement_import`),
which matches each credit line to its invoice and records the payment.

Options (`settings.QYZMET_PAYMENT_PROVIDERS["reference"]`, every key optional, demo values
otherwise): `iban`, `bic`, `bank_name`, `beneficiary` (the account holder, one name or
{kk, ru, en}), `beneficiary_bin`, `kbe` (the beneficiary's code) and `knp` (the purpose-of-
payment code a Kazakh bank asks for).

Refunds: this provider cannot send money back by itself. A refund of a payment made by
reference is recorded as a pending bank transfer (`RefundResult(outcome=PENDING)`, reference
"bank-transfer:..."): the finance officer pays it out from the platform's account to the
payer's, and the outgoing transfer then appears as a debit on a later statement.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping

from .base import (
    PENDING,
    Created,
    CreateRequest,
    PaymentProvider,
    ProviderRefused,
    RefundRequest,
    RefundResult,
    SettlementLine,
    Status,
    WebhookEvent,
    WebhookRejected,
    register,
)

# Demo values (a made-up account of a made-up treasury account holder): the embedded default
# works without configuration; production sets its own in QYZMET_PAYMENT_PROVIDERS.
DEMO_OPTIONS: dict[str, object] = {
    "iban": "KZ86125KZT5004100100",
    "bic": "KKMFKZ2A",
    "bank_name": {
        "kk": "ҚР Қаржы министрлігінің Қазынашылық комитеті (демо)",
        "ru": "Комитет казначейства Министерства финансов РК (демо)",
        "en": "Treasury Committee of the Ministry of Finance (demo)",
    },
    "beneficiary": {
        "kk": "Qyzmet мемлекеттік қызметтер платформасы (демо)",
        "ru": "Платформа государственных услуг Qyzmet (демо)",
        "en": "Qyzmet public services platform (demo)",
    },
    "beneficiary_bin": "000000000000",
    "kbe": "11",
    "knp": "911",
}


@dataclasses.dataclass(frozen=True)
class BankInstructions:
    """What the payer is shown to pay by reference (the pay page renders it)."""

    reference: str  # the invoice number: the purpose of the transfer must quote it
    amount: int  # tiyn
    currency: str
    iban: str
    bic: str
    bank_name: str
    beneficiary: str
    beneficiary_bin: str
    kbe: str
    knp: str


def _in_language(value: object, language: str) -> str:
    if isinstance(value, Mapping):
        return str(value.get(language) or value.get("en") or next(iter(value.values()), ""))
    return str(value)


@register("reference")
class ReferenceProvider(PaymentProvider):
    """Bank transfer quoting the invoice number; settled by camt.053 statements."""

    hosted = False

    def option(self, key: str) -> object:
        return self.options.get(key) or DEMO_OPTIONS[key]

    def instructions(self, *, reference: str, amount: int, currency: str,
                     language: str) -> BankInstructions:
        return BankInstructions(
            reference=reference,
            amount=amount,
            currency=currency,
            iban=str(self.option("iban")),
            bic=str(self.option("bic")),
            bank_name=_in_language(self.option("bank_name"), language),
            beneficiary=_in_language(self.option("beneficiary"), language),
            beneficiary_bin=str(self.option("beneficiary_bin")),
            kbe=str(self.option("kbe")),
            knp=str(self.option("knp")),
        )

    def create(self, request: CreateRequest) -> Created:
        """Nothing to call: the attempt is the invoice shown to the payer. The provider ref is
        derived from the request alone (the same request gives the same ref, so a retried
        create is the same attempt) and carries the amount for `status`."""
        if request.amount <= 0:
            raise ProviderRefused("the amount must be more than zero")
        key = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:24]
        ref = f"{request.reference}:{request.amount}:{request.currency}:{key}"
        return Created(provider_ref=ref, next_url="")

    def status(self, provider_ref: str) -> Status:
        """Always pending: the money is known only from a statement, which records the payment
        itself (`services.payment_record_success`), never through this attempt's status."""
        try:
            _reference, amount, currency, _key = provider_ref.split(":")
            return Status(provider_ref=provider_ref, outcome=PENDING, amount=int(amount),
                          currency=currency)
        except ValueError as exc:
            raise ProviderRefused(f"not a pay-by-reference attempt: {provider_ref!r}") from exc

    def refund(self, request: RefundRequest) -> RefundResult:
        """No card to credit: the refund becomes a bank transfer for the finance officer to
        pay out, pending until it is done (see the module's docstring)."""
        key = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:24]
        return RefundResult(refund_ref=f"bank-transfer:{key}", outcome=PENDING)

    def webhook_parse(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        raise WebhookRejected("pay by reference has no webhooks; statements are imported")

    def settlement(self, day: dt.date) -> list[SettlementLine]:
        """The bank statements' lines booked that day (imported before), as settlement lines:
        what the bank says arrived, for the daily reconciliation against the payments."""
        from qyzmet.payments.statements import statement_settlement_lines

        return statement_settlement_lines(day=day)
