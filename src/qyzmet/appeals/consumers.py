"""What follows appeal events, after commit: the model routes a new appeal, the citizen is told
of each step in their language, and heads are warned of near and missed deadlines."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from qyzmet.core.events import consumer
from qyzmet.core.templating import text_render
from qyzmet.identity.selectors import organisation_member_ids, organisation_names, user_get
from qyzmet.notifications.services import notification_send

from . import events, services
from .config import appeals_pack
from .models import Appeal

CITIZEN_TEXTS = {
    events.SUBMITTED: {
        "kk": "№{number} өтінішіңіз тіркелді. Жауап мерзімі: {due_date}.",
        "ru": "Ваше обращение №{number} зарегистрировано. Срок ответа: {due_date}.",
        "en": "Your appeal No. {number} is registered. Answer due by {due_date}.",
    },
    events.ROUTED: {
        "kk": "№{number} өтінішіңіз қарау үшін жіберілді: {organisation}.",
        "ru": "Ваше обращение №{number} направлено на рассмотрение: {organisation}.",
        "en": "Your appeal No. {number} was sent to {organisation}.",
    },
    events.ANSWERED: {
        "kk": "№{number} өтінішіңізге жауап берілді. Жауапты бағалаңыз немесе қайта ашыңыз.",
        "ru": "На ваше обращение №{number} дан ответ. Оцените ответ или откройте обращение снова.",
        "en": "Your appeal No. {number} has been answered. Rate the answer or reopen the appeal.",
    },
    events.EXTENDED: {
        "kk": "№{number} өтініштің қарау мерзімі {due_date} дейін ұзартылды. Себебі: {reason}",
        "ru": "Срок рассмотрения обращения №{number} продлён до {due_date}. Причина: {reason}",
        "en": "The deadline of appeal No. {number} was extended to {due_date}. Reason: {reason}",
    },
    events.DUPLICATE_LINKED: {
        "kk": "№{number} өтінішіңіз осы орындағы ұқсас №{original} өтінішпен байланыстырылды.",
        "ru": "Ваше обращение №{number} связано с похожим обращением №{original} "
              "по тому же месту.",
        "en": "Your appeal No. {number} was linked to the similar appeal No. {original} "
              "about the same place.",
    },
    "appeal.merged": {
        "kk": "№{number} өтінішіңіз №{original} өтінішпен біріктірілді: "
              "жауап сол бойынша беріледі.",
        "ru": "Ваше обращение №{number} объединено с обращением №{original}: ответ будет по нему.",
        "en": "Your appeal No. {number} was merged into No. {original}; it is answered there.",
    },
    "appeal.split": {
        "kk": "№{number} өтінішіңіз жеке қаралады.",
        "ru": "Ваше обращение №{number} будет рассмотрено отдельно.",
        "en": "Your appeal No. {number} will be handled on its own.",
    },
}

ESCALATION = {
    events.DUE_SOON: {
        "kk": "№{number} өтініштің мерзімі ертең бітеді ({due_date}).",
        "ru": "Срок по обращению №{number} истекает завтра ({due_date}).",
        "en": "Appeal No. {number} is due tomorrow ({due_date}).",
    },
    events.OVERDUE: {
        "kk": "№{number} өтініштің мерзімі өтіп кетті ({due_date}).",
        "ru": "Срок по обращению №{number} истёк ({due_date}).",
        "en": "Appeal No. {number} is overdue (was due {due_date}).",
    },
}


def _tell_citizen(event: dict[str, Any], topic: str) -> None:
    appeal = Appeal.objects.select_related("duplicate_of").get(pk=event["appeal_id"])
    if appeal.citizen_id is None:
        return
    lang = user_get(user_id=appeal.citizen_id).language or appeal.language or "kk"
    names = organisation_names(codes=[appeal.organisation_code or ""])
    org = names.get(appeal.organisation_code or "", {})
    context = {
        "number": appeal.number,
        "due_date": appeal.due_date.strftime("%d.%m.%Y") if appeal.due_date else "",
        "organisation": org.get(lang) or org.get("en") or appeal.organisation_code or "",
        "reason": event.get("reason", ""),
        "original": event.get("original_number")
        or (appeal.duplicate_of.number if appeal.duplicate_of else ""),
    }
    texts = CITIZEN_TEXTS[topic]
    body = text_render(texts.get(lang, texts["en"]), context)
    notification_send(user_id=appeal.citizen_id, subject=body[:300], body=body,
                      channels=["inapp", "email"],
                      dedup_key=f"{event['event_id']}:citizen",
                      link=reverse("my-appeal", kwargs={"appeal_id": appeal.pk}))


@consumer(events.SUBMITTED)
def route_new_appeal(event: dict[str, Any]) -> None:
    """The model's turn. Runs after commit, so the appeal is safely stored whatever happens."""
    services.appeal_route_auto(appeal_id=event["appeal_id"])


@consumer(events.SUBMITTED)
def tell_registered(event: dict[str, Any]) -> None:
    _tell_citizen(event, events.SUBMITTED)


def _citizen_consumer(topic: str):
    def handle(event: dict[str, Any]) -> None:
        _tell_citizen(event, topic)

    handle.__name__ = handle.__qualname__ = f"tell_{topic.replace('.', '_')}"
    return consumer(topic)(handle)


for _topic in (events.ROUTED, events.ANSWERED, events.EXTENDED, events.DUPLICATE_LINKED,
               "appeal.merged", "appeal.split"):
    _citizen_consumer(_topic)


def _escalate(event: dict[str, Any], topic: str) -> None:
    """Tell the organisation's heads, each in their own language."""
    appeal = Appeal.objects.get(pk=event["appeal_id"])
    if not appeal.organisation_code:
        return
    role = appeals_pack().escalation_role
    for user_id in organisation_member_ids(code=appeal.organisation_code, roles={role}):
        lang = user_get(user_id=user_id).language or "kk"
        texts = ESCALATION[topic]
        body = text_render(texts.get(lang, texts["en"]), {
            "number": appeal.number,
            "due_date": appeal.due_date.strftime("%d.%m.%Y") if appeal.due_date else "",
        })
        notification_send(user_id=user_id, subject=body, body=body, channels=["inapp", "email"],
                          dedup_key=f"{event['event_id']}:escalate:{user_id}",
                          link=reverse("bo-appeal", kwargs={"appeal_id": appeal.pk}))


@consumer(events.DUE_SOON)
def escalate_due_soon(event: dict[str, Any]) -> None:
    _escalate(event, events.DUE_SOON)


@consumer(events.OVERDUE)
def escalate_overdue(event: dict[str, Any]) -> None:
    _escalate(event, events.OVERDUE)
