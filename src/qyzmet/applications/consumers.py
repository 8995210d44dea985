"""What follows an application's events, after commit: the citizen is told in their language, and
an approval produces the result document. Each consumer runs at most once per event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone, translation

from qyzmet.core.events import consumer
from qyzmet.core.formats import date_long
from qyzmet.core.money import money_display
from qyzmet.core.templating import text_render
from qyzmet.documents.services import document_issue
from qyzmet.identity.selectors import organisation_get, organisation_member_ids, user_get
from qyzmet.notifications.services import notification_send

from .models import Application
from .payment_step import (
    application_payment_lapse,
    application_payment_received,
    application_refund_by_rule,
)
from .selectors import application_package, application_payment

NOTIFIED_TOPICS = {
    "application.submitted": "submitted",
    "application.info_requested": "info_requested",
    "application.approved": "approved",
    "application.refused": "refused",
}


def _notify(event: dict[str, Any]) -> None:
    kind = NOTIFIED_TOPICS[event["event_topic"]]
    # The applicant comes with the application: one read, not two, for every event told.
    application = Application.objects.select_related("applicant").get(pk=event["application_id"])
    package = application_package(application=application)
    user = application.applicant
    lang = user.language or application.language
    templates: dict[str, str] = package.notifications.get(kind) or {}
    template = templates.get(lang) or templates.get("en") or ""
    if not template:
        return
    context = {
        "number": application.number,
        "service": package.titles.get(lang, package.titles.get("en", "")),
        "due_date": application.due_date.strftime("%d.%m.%Y") if application.due_date else "",
        "reason": event.get("reason", ""),
    }
    body = text_render(template, context)
    if kind == "submitted" and event.get("evidence_missing"):
        body += "\n\n" + EVIDENCE_MISSING.get(lang, EVIDENCE_MISSING["en"])
    ground = package.ground(event.get("ground")) if kind == "refused" else None
    if ground is not None:
        body += "\n\n" + GROUND.get(lang, GROUND["en"]).format(
            label=ground.label.get(lang), basis=ground.legal_basis.get(lang)
        )
    notification_send(
        user_id=application.applicant_id,
        subject=f"{context['service']} — {application.number}",
        body=body,
        dedup_key=f"{event['event_id']}:notify",
        user=user,
        link=reverse("my-application", kwargs={"application_id": application.pk}),
    )


def _make_topic_consumer(topic: str):
    def handle(event: dict[str, Any]) -> None:
        _notify({**event, "event_topic": topic})

    handle.__qualname__ = f"notify_{topic.replace('.', '_')}"
    return handle


for _topic in NOTIFIED_TOPICS:
    consumer(_topic)(_make_topic_consumer(_topic))


@consumer("application.approved")
def result_issue(event: dict[str, Any]) -> None:
    """Render and issue the result document in the citizen's language (idempotent per case)."""
    application = Application.objects.get(pk=event["application_id"])
    package = application_package(application=application)
    lang = application.language
    context = {**application.evidence, "form": application.data, "number": application.number}
    body = text_render(package.result.body.get(lang) or package.result.body["en"], context)
    agency = organisation_get(code=application.agency_code)
    person = application.evidence.get("person") or {}
    with translation.override(lang):
        labels = {
            "application": translation.gettext("Application number"),
            "holder": translation.gettext("Holder"),
        }
    printed = {labels["application"]: application.number}
    if person.get("full_name"):
        printed[labels["holder"]] = person["full_name"]
    document_issue(
        actor=None,
        source_ref=f"application:{application.pk}",
        owner_iin=application.applicant_iin,
        issuer_code=application.agency_code,
        issuer_name=agency.names,
        title=package.result.title,
        language=lang,
        body_text=body,
        printed_fields=printed,
        valid_days=package.result.validity_days,
    )


# What the platform itself adds to a service's notifications, per language (as ESCALATION).
GROUND = {
    "kk": "Бас тарту негізі: {label}. Құқықтық негізі: {basis}.",
    "ru": "Основание отказа: {label}. Правовое основание: {basis}.",
    "en": "Ground for refusal: {label}. Legal basis: {basis}.",
}
EVIDENCE_MISSING = {
    "kk": "Мемлекеттік тізілімдерден кейбір деректерді алу мүмкін болмады. Мекеме өтініміңізді "
          "қарап, сізден құжат сұрауы мүмкін.",
    "ru": "Некоторые данные из государственных реестров не удалось получить. Ведомство "
          "рассмотрит ваше заявление и может запросить у вас документ.",
    "en": "Some data from the state registries could not be obtained. The agency will review "
          "your application and may ask you for a document.",
}  # fmt: skip
WAITING = {
    "kk": "№{number} өтініміңіз қабылданды. Мемлекеттік тізілімнен деректер әзірге алынбады: "
          "сұрауды автоматты түрде қайталаймыз және деректер келген бойда өтініміңізді мекемеге "
          "жібереміз. Сізге ештеңе істеудің қажеті жоқ.",
    "ru": "Ваше заявление №{number} принято. Данные из государственного реестра пока не удалось "
          "получить: мы повторим запрос автоматически и отправим заявление в ведомство, как только "
          "данные поступят. Вам ничего делать не нужно.",
    "en": "Your application No. {number} was received. The data from a state registry could not "
          "be fetched yet: we will retry automatically and send your application to the agency as "
          "soon as the data arrives. You do not need to do anything.",
}  # fmt: skip


@consumer("application.evidence_waiting")
def evidence_waiting_tell(event: dict[str, Any]) -> None:
    """Tell the citizen, in their language, that their application is kept while a registry does
    not answer — the page says so too, but an API client's user may never see that page."""
    application = Application.objects.select_related("applicant").get(pk=event["application_id"])
    package = application_package(application=application)
    user = application.applicant
    lang = user.language or application.language
    body = WAITING.get(lang, WAITING["en"]).format(number=application.number)
    notification_send(
        user_id=user.pk,
        user=user,
        subject=f"{package.title(lang)} — {application.number}",
        body=body,
        dedup_key=f"{event['event_id']}:waiting",
        link=reverse("my-application", kwargs={"application_id": application.pk}),
    )


ESCALATION = {
    "application.due_soon": {
        "kk": "№{number} өтінімнің мерзімі ертең бітеді ({due_date}): {service}.",
        "ru": "Срок по заявке №{number} истекает завтра ({due_date}): {service}.",
        "en": "Application No. {number} is due tomorrow ({due_date}): {service}.",
    },
    "application.overdue": {
        "kk": "№{number} өтінімнің мерзімі өтіп кетті ({due_date}): {service}.",
        "ru": "Срок по заявке №{number} истёк ({due_date}): {service}.",
        "en": "Application No. {number} is overdue (was due {due_date}): {service}.",
    },
}


def _escalate(event: dict[str, Any], topic: str) -> None:
    """Tell the agency's heads (and the officer handling the case) that a deadline is near or
    missed, each in their own language."""
    application = Application.objects.get(pk=event["application_id"])
    # Only a case whose deadline is near or past is escalated: it has a due date.
    assert application.due_date is not None
    package = application_package(application=application)
    recipients = set(organisation_member_ids(code=application.agency_code, roles={"head"}))
    if application.assignee_id:
        recipients.add(application.assignee_id)
    for user_id in sorted(recipients):
        lang = user_get(user_id=user_id).language or "kk"
        body = text_render(
            ESCALATION[topic].get(lang, ESCALATION[topic]["en"]),
            {
                "number": application.number,
                "due_date": application.due_date.strftime("%d.%m.%Y"),
                "service": package.title(lang),
            },
        )
        notification_send(
            user_id=user_id,
            subject=body,
            body=body,
            channels=["inapp", "email"],
            dedup_key=f"{event['event_id']}:escalate:{user_id}",
            link=reverse("bo-case", kwargs={"application_id": application.pk}),
        )


@consumer("application.due_soon")
def escalate_due_soon(event: dict[str, Any]) -> None:
    _escalate(event, "application.due_soon")


@consumer("application.overdue")
def escalate_overdue(event: dict[str, Any]) -> None:
    _escalate(event, "application.overdue")


# --- the fee (see `payment_step`) --------------------------------------------------------------

PAYMENT_DUE = {
    "kk": "№{number} өтініміңізге қол қойылды. Ол мекемеге баж төленгеннен кейін жіберіледі: "
          "{amount}, {due} дейін төлеңіз. Қарау мерзімі төлем түскен күннен басталады.",
    "ru": "Ваша заявка №{number} подписана. В ведомство она будет направлена после оплаты "
          "пошлины: {amount}, оплатите до {due}. Срок рассмотрения начнётся со дня оплаты.",
    "en": "Your application No. {number} is signed. It goes to the agency once the fee is paid: "
          "{amount}, to be paid by {due}. The time for the decision starts on the day you pay.",
}  # fmt: skip
LAPSED = {
    "kk": "№{number} өтінімге баж белгіленген мерзімде төленбеді, сондықтан өтінім мекемеге "
          "жіберілмеді. Қызмет әлі де керек болса, өтінімді қайта беріңіз.",
    "ru": "Пошлина по заявке №{number} не была оплачена в срок, поэтому заявка не направлена в "
          "ведомство. Если услуга всё ещё нужна, подайте заявку заново.",
    "en": "The fee for application No. {number} was not paid in time, so the application was "
          "not sent to the agency. If you still need the service, please apply again.",
}  # fmt: skip


def _tell(event: dict[str, Any], texts: dict[str, str], suffix: str, values=None) -> None:
    """One message to the applicant in their language, once per event; `values(application,
    lang)` gives the placeholders beyond `{number}`."""
    application = Application.objects.select_related("applicant").get(pk=event["application_id"])
    package = application_package(application=application)
    user = application.applicant
    lang = user.language or application.language
    lang = lang if lang in texts else "en"
    extra = values(application, lang) if values else {}
    notification_send(
        user_id=user.pk,
        user=user,
        subject=f"{package.title(lang)} — {application.number}",
        body=texts[lang].format(number=application.number, **extra),
        dedup_key=f"{event['event_id']}:{suffix}",
        link=reverse("my-application", kwargs={"application_id": application.pk}),
    )


def _payment_due_values(application: Application, lang: str) -> dict[str, str]:
    payment = application_payment(application=application)
    if payment is None:  # the payment context always answers for an awaited fee
        raise LookupError(f"no payment for application {application.pk}")
    due = timezone.localtime(payment.expires_at)
    return {
        "amount": money_display(amount=payment.amount, currency=payment.currency, lang=lang),
        "due": f"{date_long(due.date(), lang)} {due:%H:%M}",
    }


@consumer("application.payment_awaited")
def payment_due_tell(event: dict[str, Any]) -> None:
    """Tell the citizen what to pay and by when (an API client's user may never see a page)."""
    _tell(event, PAYMENT_DUE, "payment_due", _payment_due_values)


@consumer("application.lapsed")
def lapsed_tell(event: dict[str, Any]) -> None:
    """Tell the citizen the application lapsed unpaid and that they may apply again."""
    _tell(event, LAPSED, "lapsed")


WITHDRAWN = {
    "kk": "№{number} өтініміңіз кері қайтарылды. Мекеме оны қарамайды.",
    "ru": "Ваша заявка №{number} отозвана. Ведомство не будет её рассматривать.",
    "en": "Your application No. {number} was withdrawn. The agency will not consider it.",
}
# What became of the fee, by `selectors.WithdrawalFee.kind` (nothing is said for "none").
WITHDRAWN_FEE = {
    "cancelled": {
        "kk": "Баж төленбеген, сондықтан қайтаратын ештеңе жоқ: төлем тоқтатылды, ал бұдан кейін "
              "төленген ақша автоматты түрде қайтарылады.",
        "ru": "Пошлина не была оплачена, поэтому возвращать нечего: платёж отменён, а деньги, "
              "внесённые после этого, будут возвращены автоматически.",
        "en": "You had not paid the fee, so there is nothing to refund: its payment is "
              "cancelled, and money paid after this is returned automatically.",
    },
    "refunded": {
        "kk": "Төленген баж, {amount}, сізге толық қайтарылады.",
        "ru": "Оплаченная пошлина, {amount}, будет возвращена вам полностью.",
        "en": "The fee you paid, {amount}, is refunded to you in full.",
    },
    "kept": {
        "kk": "Төленген баж, {amount}, қайтарылмайды: бұл қызметтің қағидалары бойынша өтінім "
              "кері қайтарылғанда баж қайтарылмайды.",
        "ru": "Оплаченная пошлина, {amount}, не возвращается: по правилам этой услуги при отзыве "
              "заявки пошлина не возвращается.",
        "en": "The fee you paid, {amount}, is not refunded: the rules of this service do not "
              "return it when an application is withdrawn.",
    },
}  # fmt: skip


@consumer("application.withdrawn")
def withdrawn_tell(event: dict[str, Any]) -> None:
    """Tell the citizen, in their language, that the application was withdrawn and what became
    of its fee (as the event says it stood when they withdrew)."""
    application = Application.objects.select_related("applicant").get(pk=event["application_id"])
    package = application_package(application=application)
    user = application.applicant
    lang = user.language or application.language
    lang = lang if lang in WITHDRAWN else "en"
    body = WITHDRAWN[lang].format(number=application.number)
    fee = WITHDRAWN_FEE.get(str(event.get("fee", "")))
    if fee:
        amount = money_display(
            amount=int(event.get("fee_amount") or 0),
            currency=str(event.get("fee_currency") or "KZT"), lang=lang,
        )  # fmt: skip
        body += " " + fee[lang].format(amount=amount)
    notification_send(
        user_id=user.pk,
        user=user,
        subject=f"{package.title(lang)} — {application.number}",
        body=body,
        dedup_key=f"{event['event_id']}:withdrawn",
        link=reverse("my-application", kwargs={"application_id": application.pk}),
    )


@consumer("payment.succeeded")
def payment_succeeded_start(event: dict[str, Any]) -> None:
    """An application's fee arrived: its workflow starts, the deadline from the day paid."""
    paid_at = dt.datetime.fromisoformat(str(event["paid_at"]))
    application_payment_received(source_ref=str(event["source_ref"]), paid_at=paid_at)


@consumer("payment.expired")
def payment_expired_lapse(event: dict[str, Any]) -> None:
    """An application's fee was not paid in time: the application lapses."""
    application_payment_lapse(source_ref=str(event["source_ref"]))


@consumer("application.refused")
def refused_refund(event: dict[str, Any]) -> None:
    """A refused application's fee is refunded when its service's rule says so."""
    application_refund_by_rule(application_id=event["application_id"], outcome="refused")


@consumer("application.withdrawn")
def withdrawn_refund(event: dict[str, Any]) -> None:
    """A fee paid for an application withdrawn before the decision, likewise."""
    application_refund_by_rule(application_id=event["application_id"], outcome="withdrawn")
