"""Demo drafts for open legal acts, created once (idempotent: nothing is added when the Ministry
of Internal Affairs already has drafts): one open for comment with a second version, moderated
comments and answers; one whose period is over with its sealed summary published; one open at
another ministry with fresh comments awaiting moderation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from qyzmet.core.demo_cast import demo_cast
from qyzmet.identity.selectors import organisation_member_ids, user_get, user_get_by_iin

from . import services
from .models import Comment, LegalAct, LegalActVersion

MVD, ENBEK = "kz-mvd", "kz-enbek"

OPEN_TITLE = {
    "kk": "Жеке басын куәландыратын құжаттарды беру қағидаларына өзгерістер енгізу туралы",
    "ru": "О внесении изменений в Правила выдачи документов, удостоверяющих личность",
    "en": "On amendments to the Rules for issuing identity documents",
}
OPEN_TEXT_KK = [
    "1. Жеке куәлік пен паспортты беру мерзімі өтінім тіркелген күннен бастап он бес жұмыс "
    "күнінен аспайды.",
    "2. Өтінім «Азаматтарға арналған үкімет» мемлекеттік корпорациясы арқылы немесе электрондық "
    "үкімет порталы арқылы беріледі.",
    "3. Он алты жасқа толмаған баланың құжаты заңды өкілінің қатысуымен беріледі.",
    "4. Құжат жоғалған жағдайда азамат бұл туралы күнтізбелік бес күн ішінде хабарлайды.",
]
OPEN_TEXT_RU = [
    "1. Срок выдачи удостоверения личности и паспорта не превышает пятнадцати рабочих дней со "
    "дня регистрации заявления.",
    "2. Заявление подаётся через Государственную корпорацию «Правительство для граждан» или "
    "через портал электронного правительства.",
    "3. Документ ребёнку, не достигшему шестнадцати лет, выдаётся в присутствии законного "
    "представителя.",
    "4. В случае утраты документа гражданин сообщает об этом в течение пяти календарных дней.",
]
OPEN_NOTE = {
    "kk": "Жоба құжаттарды беру мерзімін қысқарту және өтінімдерді онлайн қабылдауды кеңейту "
          "мақсатында әзірленді. Республикалық бюджеттен қосымша шығыс талап етілмейді.",
    "ru": "Проект разработан в целях сокращения сроков выдачи документов и расширения приёма "
          "заявлений онлайн. Дополнительных расходов из республиканского бюджета не требуется.",
}

DONE_TITLE = {
    "kk": "Азаматтарды тұрғылықты жері бойынша тіркеу қағидаларын бекіту туралы",
    "ru": "Об утверждении Правил регистрации граждан по месту жительства",
    "en": "On approving the Rules for registering citizens at their place of residence",
}
DONE_TEXT_KK = [
    "1. Азамат жаңа тұрғылықты жеріне келген күннен бастап күнтізбелік он күн ішінде тіркеледі.",
    "2. Тіркеу электрондық үкімет порталы арқылы меншік иесінің келісімімен жүргізіледі.",
    "3. Уақытша тіркеу мерзімі бір жылдан аспайды.",
]
DONE_TEXT_RU = [
    "1. Гражданин регистрируется в течение десяти календарных дней со дня прибытия на новое "
    "место жительства.",
    "2. Регистрация производится через портал электронного правительства с согласия "
    "собственника жилья.",
    "3. Срок временной регистрации не превышает одного года.",
]
DONE_NOTE = {
    "kk": "Жоба тіркеу рәсімін толығымен электрондық форматқа көшіруді көздейді.",
    "ru": "Проект предусматривает полный перевод процедуры регистрации в электронный формат.",
}

ENBEK_TITLE = {
    "kk": "Бала күтіміне арналған әлеуметтік төлемдерді тағайындау қағидаларына өзгерістер "
          "енгізу туралы",
    "ru": "О внесении изменений в Правила назначения социальных выплат по уходу за ребёнком",
    "en": "On amendments to the Rules for granting childcare social payments",
}
ENBEK_TEXT = {
    "kk": "1. Төлем бала бір жарым жасқа толғанға дейін тағайындалады.\n\n"
          "2. Өтінімді ата-ананың бірі проактивті қызмет арқылы береді.\n\n"
          "3. Төлем мөлшері соңғы жиырма төрт айдағы орташа табыстан есептеледі.",
    "ru": "1. Выплата назначается до достижения ребёнком полутора лет.\n\n"
          "2. Заявление подаёт один из родителей через проактивную услугу.\n\n"
          "3. Размер выплаты исчисляется из среднего дохода за последние двадцать четыре месяца.",
}
ENBEK_NOTE = {
    "kk": "Жоба төлемдерді өтінімсіз, проактивті тағайындауға көшуді көздейді.",
    "ru": "Проект предусматривает переход к проактивному назначению выплат без заявления.",
}


def _people() -> dict[str, Any]:
    cast = demo_cast()
    logins = cast.logins()
    staff = {}
    for code in (MVD, ENBEK):
        for role in ("officer", "head"):
            ids = organisation_member_ids(code=code, roles={role})
            staff[f"{role}:{code}"] = user_get(user_id=ids[0]) if ids else None
    others = [user_get_by_iin(iin=login.iin) for login in logins
              if login.agency and login.agency not in (MVD, ENBEK)][:4]
    return {
        "a": user_get_by_iin(iin=cast.citizen_a_iin),
        "b": user_get_by_iin(iin=cast.citizen_b_iin),
        "others": [u for u in others if u is not None],
        **staff,
    }


def _joined(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def _create(officer, head, org: str, kind: str, days: int, title: dict, text: dict,
            note: dict, opened: dt.date) -> LegalAct:
    act = services.legal_act_create(actor=officer, organisation_code=org, kind=kind,
                                    comment_days=days, title=title, text=text, note=note)
    services.legal_act_publish(actor=head, act_id=act.pk, today=opened)
    # The demo's history: the act was published on `opened`, not now.
    opened_at = timezone.make_aware(dt.datetime.combine(opened, dt.time(10, 0)))
    LegalAct.objects.filter(pk=act.pk).update(opened_at=opened_at)
    return act


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _backdate(act: LegalAct, *, opened: dt.date, edited: dt.date, commented: dt.date,
              moderated: dt.date, answered: dt.date) -> None:
    """The demo's history as it would have happened: the services stamp what they do with
    `now`, so a freshly loaded demo would show every version, comment, moderation and answer
    dated today. Draft the first version the day before publication, the later ones on
    `edited`; comments on `commented`, moderated and answered on the days given (never in the
    future: a reader checks that an answer follows its comment)."""
    LegalActVersion.objects.filter(act=act, number=1).update(
        created_at=_at(opened - dt.timedelta(days=1), 16))
    LegalActVersion.objects.filter(act=act, number__gt=1).update(created_at=_at(edited, 15))
    comments = Comment.objects.filter(act=act)
    comments.update(created_at=_at(commented, 11))
    comments.exclude(moderated_at=None).update(moderated_at=_at(moderated, 12))
    comments.exclude(answered_at=None).update(answered_at=_at(answered, 14))


def legal_acts_demo_ensure() -> dict[str, int]:
    if LegalAct.objects.filter(organisation_code=MVD).exists():
        return {"acts": 0}
    p = _people()
    officer, head = p[f"officer:{MVD}"], p[f"head:{MVD}"]
    if not (officer and head and p["a"] and p["b"]):
        return {"acts": 0}
    today = timezone.localdate()
    voices = [p["a"], p["b"], *p["others"]]

    # 1. Concluded: period over, every comment answered, the sealed summary published.
    opened = today - dt.timedelta(days=40)
    done = _create(officer, head, MVD, "order", 15, DONE_TITLE,
                   {"kk": _joined(DONE_TEXT_KK), "ru": _joined(DONE_TEXT_RU)}, DONE_NOTE, opened)
    day = opened + dt.timedelta(days=3)
    comments = [
        (voices[0], 1, "Он күн аз. Жұмыс бабымен көшкен адамдар үшін кемінде отыз күн қажет."),
        (voices[1], 3, "Предлагаю разрешить продлевать временную регистрацию онлайн без "
                       "повторного согласия собственника."),
        (voices[2 % len(voices)], None, "Жалпы жоба дұрыс, электрондық тіркеу уақытты "
                                        "үнемдейді."),
        (voices[0], 2, "Звоните мне 87011234567, расскажу подробнее."),
    ]
    made = [services.comment_submit(actor=u, act_id=done.pk, text=t, paragraph=n, today=day)
            for u, n, t in comments]
    revised_ru = list(DONE_TEXT_RU)
    revised_ru[0] = ("1. Гражданин регистрируется в течение тридцати календарных дней со дня "
                     "прибытия на новое место жительства.")
    revised_kk = list(DONE_TEXT_KK)
    revised_kk[0] = ("1. Азамат жаңа тұрғылықты жеріне келген күннен бастап күнтізбелік отыз "
                     "күн ішінде тіркеледі.")
    services.legal_act_edit(actor=officer, act_id=done.pk, title=DONE_TITLE,
                            text={"kk": _joined(revised_kk), "ru": _joined(revised_ru)},
                            note=DONE_NOTE, change_note="Срок регистрации увеличен до 30 дней")
    for comment in made[:3]:
        services.comment_moderate(actor=officer, act_id=done.pk, comment_id=comment.pk,
                                  decision="accept")
    services.comment_moderate(actor=officer, act_id=done.pk, comment_id=made[3].pk,
                              decision="reject", reason="personal_data")
    services.legal_acts_close_due(today=today)
    answers = [
        ("accepted", "Ұсыныс қабылданды: тіркеу мерзімі отыз күнтізбелік күнге дейін ұзартылды."),
        ("partly", "Онлайн ұзарту мүмкіндігі қарастырылады, бірақ меншік иесінің келісімі "
                   "заңмен талап етіледі."),
        ("accepted", "Рақмет, пікіріңіз ескерілді."),
    ]
    for comment, (position, text) in zip(made[:3], answers, strict=True):
        services.comment_answer(actor=officer, act_id=done.pk, comment_id=comment.pk,
                                position=position, text=text)
    services.summary_publish(
        actor=head, act_id=done.pk, today=today,
        conclusion="Тіркеу мерзімі отыз күнге дейін ұзартылды; қалған ережелер өзгеріссіз "
                   "қабылданады.",
    )
    closes = LegalAct.objects.values_list("closes_on", flat=True).get(pk=done.pk) or today
    _backdate(done, opened=opened, edited=opened + dt.timedelta(days=8),
              commented=opened + dt.timedelta(days=3), moderated=opened + dt.timedelta(days=4),
              answered=min(today, closes + dt.timedelta(days=2)))

    # 2. Open, version 2, comments moderated and partly answered.
    opened = today - dt.timedelta(days=6)
    live = _create(officer, head, MVD, "order", 20, OPEN_TITLE,
                   {"kk": _joined(OPEN_TEXT_KK), "ru": _joined(OPEN_TEXT_RU)}, OPEN_NOTE, opened)
    day = opened + dt.timedelta(days=1)
    texts = [
        (voices[0], 1, "Он бес жұмыс күні тым ұзақ. Басқа елдерде құжат бес күнде беріледі."),
        (voices[1], 4, "Пять дней — слишком мало, если человек за границей. Предлагаю тридцать "
                       "дней."),
        (voices[2 % len(voices)], 2, "Порталда өтінім беру мүмкіндігі өте ыңғайлы болады."),
        (voices[3 % len(voices)], None, "Покупайте чехлы для паспорта на нашем сайте!"),
        (voices[0], 3, "Заңды өкіл болмаса, қамқоршы қатыса ала ма? Осыны нақтылаған жөн."),
    ]
    made = [services.comment_submit(actor=u, act_id=live.pk, text=t, paragraph=n, today=day)
            for u, n, t in texts]
    for comment in made[:3]:
        services.comment_moderate(actor=officer, act_id=live.pk, comment_id=comment.pk,
                                  decision="accept")
    services.comment_moderate(actor=officer, act_id=live.pk, comment_id=made[3].pk,
                              decision="reject", reason="advertising")
    revised_ru = list(OPEN_TEXT_RU)
    revised_ru[3] = ("4. В случае утраты документа гражданин сообщает об этом в течение пяти "
                     "календарных дней, а находящийся за рубежом — в течение тридцати дней.")
    revised_kk = list(OPEN_TEXT_KK)
    revised_kk[3] = ("4. Құжат жоғалған жағдайда азамат бұл туралы күнтізбелік бес күн ішінде, "
                     "ал шетелде жүрген азамат отыз күн ішінде хабарлайды.")
    services.legal_act_edit(actor=officer, act_id=live.pk, title=OPEN_TITLE,
                            text={"kk": _joined(revised_kk), "ru": _joined(revised_ru)},
                            note=OPEN_NOTE, change_note="Шетелдегі азаматтарға 30 күн")
    services.comment_answer(actor=officer, act_id=live.pk, comment_id=made[1].pk,
                            position="accepted",
                            text="Учтено: для граждан за рубежом срок увеличен до тридцати дней.")
    services.comment_answer(actor=officer, act_id=live.pk, comment_id=made[0].pk,
                            position="not_accepted",
                            text="Мерзім құжатты жасау мен жеткізу уақытын ескереді; оны "
                                 "қысқарту сапаға әсер етеді.")
    _backdate(live, opened=opened, edited=opened + dt.timedelta(days=3),
              commented=opened + dt.timedelta(days=1), moderated=opened + dt.timedelta(days=2),
              answered=opened + dt.timedelta(days=4))

    # 3. Another ministry, open, comments awaiting moderation.
    e_officer, e_head = p[f"officer:{ENBEK}"], p[f"head:{ENBEK}"]
    created = 2
    if e_officer and e_head:
        third = _create(e_officer, e_head, ENBEK, "decree", 10, ENBEK_TITLE, ENBEK_TEXT,
                        ENBEK_NOTE, today - dt.timedelta(days=2))
        services.comment_submit(actor=p["b"], act_id=third.pk, paragraph=3,
                                text="Почему двадцать четыре месяца, а не двенадцать? Молодые "
                                     "родители часто только начали работать.")
        services.comment_submit(actor=p["a"], act_id=third.pk, paragraph=2,
                                text="Проактивті қызмет — өте жақсы шешім.")
        yesterday = today - dt.timedelta(days=1)
        _backdate(third, opened=today - dt.timedelta(days=2), edited=yesterday,
                  commented=yesterday, moderated=yesterday, answered=yesterday)
        created += 1
    return {"acts": created}
