"""Demo content for open dialogue (`qyzmet demo_load`): a dozen believable questions to the
heads of four agencies over the last months, made through the real services — some answered
(by the head, or by an officer on the head's behalf) and rated, one overdue, some awaiting an
answer, one waiting for moderation and one rejected. Idempotent: nothing is added when the
demo questions are there already."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from qyzmet.core.calendar import calendar_default
from qyzmet.identity.selectors import organisation_member_ids, user_get, user_get_by_iin

from . import services
from .models import Question

POSITIONS = {
    "kz-mvd": ("Қазақстан Республикасының Ішкі істер министрі",
               "Министр внутренних дел Республики Казахстан",
               "Minister of Internal Affairs of the Republic of Kazakhstan"),
    "kz-health": ("Қазақстан Республикасының Денсаулық сақтау министрі",
                  "Министр здравоохранения Республики Казахстан",
                  "Minister of Health of the Republic of Kazakhstan"),
    "kz-edu": ("Қазақстан Республикасының Оқу-ағарту министрі",
               "Министр просвещения Республики Казахстан",
               "Minister of Education of the Republic of Kazakhstan"),
    "kz-almaty-education": ("Алматы қаласы Білім басқармасының басшысы",
                            "Руководитель Управления образования города Алматы",
                            "Head of the Education Department of Almaty City"),
}  # fmt: skip

# (agency, topic, author index, days ago received, outcome, title, text, answer, rating)
# outcome: answered | answered_late | officer | awaiting | overdue | moderation | rejected
QUESTIONS = [
    ("kz-mvd", "documents", 0, 95, "answered",
     "Можно ли получить удостоверение личности в другом городе?",
     "Я прописан в Шымкенте, а работаю в Астане. Могу ли я заменить удостоверение личности в "
     "Астане, не выезжая по месту прописки, и сколько это займёт времени?",
     "Да, документ, удостоверяющий личность, можно получить в любом ЦОНе независимо от места "
     "регистрации. Заявление подаётся через портал или в ЦОНе, срок изготовления — 10 рабочих "
     "дней, в Астане и Алматы доступно ускоренное изготовление.", 5),
    ("kz-mvd", "safety", 1, 80, "officer",
     "Жол полициясы бекеттері туралы",
     "Алматы – Қапшағай жолында соңғы айда бекеттер көбейді. Олар қандай мақсатпен қойылды "
     "және қашанға дейін тұрады?",
     "Бекеттер жазғы маусымда жол-көлік оқиғаларының алдын алу үшін уақытша қойылды. Олар 15 "
     "қыркүйекке дейін жұмыс істейді, жылдамдықты бақылау камералары тұрақты қалады.", 4),
    ("kz-mvd", "services", 0, 40, "answered_late",
     "Почему так долго регистрируют автомобиль?",
     "Купил автомобиль с рук, в спецЦОНе сказали ждать запись две недели. Можно ли "
     "зарегистрировать машину быстрее или через портал?",
     "Перерегистрация автомобиля при смене собственника доступна через портал электронного "
     "правительства без посещения спецЦОНа, если автомобиль не требует осмотра. Запись в "
     "спецЦОНы Астаны расширена: с этого месяца они работают и по субботам.", 3),
    ("kz-mvd", "safety", 1, 30, "overdue",
     "Кім аулалардағы жарықтандыруды бақылайды?",
     "Біздің шағын ауданда кешкі уақытта аулалар қараңғы, жасөспірімдер топтасып жүреді. "
     "Учаскелік полиция инспекторының рейдтері жоспарланған ба?",
     "", None),
    ("kz-mvd", "documents", 0, 2, "moderation",
     "Как восстановить утерянный паспорт за границей?",
     "Если паспорт утерян во время поездки в Турцию, куда обращаться и какие документы нужны "
     "для возвращения домой?",
     "", None),
    ("kz-health", "health", 1, 70, "answered",
     "Когда в поликлиниках появятся детские неврологи?",
     "В поликлинике нашего района нет детского невролога уже полгода, направляют в другой "
     "конец города. Будут ли приняты специалисты?",
     "В районные поликлиники по программе развития первичной помощи в этом году принимаются 46 "
     "детских неврологов; в вашу поликлинику специалист выходит со следующего месяца. До этого "
     "приём ведётся выездным врачом по вторникам.", 4),
    ("kz-health", "social", 0, 50, "answered",
     "ТМККК аясында МРТ тегін жасала ма?",
     "Дәрігер МРТ-ға жолдама берді, бірақ кезек екі айға созылады. Міндетті әлеуметтік медициналық "
     "сақтандыру бойынша тегін МРТ-ны тезірек жасатуға бола ма?",
     "Жолдама бойынша МРТ МӘМС аясында тегін жасалады. Кезек ұзақ болса, емханаңыз сізді "
     "келісімшарты бар басқа медициналық ұйымға жібере алады: тізімі Әлеуметтік медициналық "
     "сақтандыру қорының сайтында.", 2),
    ("kz-health", "health", 1, 6, "awaiting",
     "Будет ли вакцинация от гриппа в школах?",
     "Прошлой осенью прививки от гриппа делали в школах, в этом году пока ничего не слышно. "
     "Планируется ли вакцинация детей в школах?",
     "", None),
    ("kz-edu", "education", 0, 60, "answered",
     "Сколько учеников может быть в первом классе?",
     "В классе моего сына 38 детей. Есть ли норма наполняемости классов и что делать, если "
     "школа её превышает?",
     "Норма наполняемости классов — не более 25 учеников, в начальных классах при "
     "трёхсменной нагрузке допускается до 30. О превышении нормы сообщите в отдел образования "
     "района: школа обязана открыть параллельный класс.", 5),
    ("kz-edu", "education", 1, 12, "awaiting",
     "Мектеп формасын ата-аналар өздері таңдай ала ма?",
     "Мектеп бізге бір ғана дүкеннен форма алуды талап етеді. Бұл заңды ма, әлде ата-аналар "
     "талаптарға сай кез келген форманы ала ала ма?",
     "", None),
    ("kz-almaty-education", "education", 0, 45, "answered",
     "Когда откроется новый детский сад в Алатауском районе?",
     "В микрорайоне Шугыла строят детский сад уже два года. Когда он откроется и как встать в "
     "очередь в него?",
     "Детский сад на 320 мест в микрорайоне Шугыла будет сдан в эксплуатацию в августе. Очередь "
     "ведётся через портал электронного правительства: выберите сад после его появления в "
     "списке в июле, ваша дата постановки в очередь сохраняется.", 5),
    ("kz-almaty-education", "education", 1, 20, "rejected",
     "Жалоба на учителя",
     "Учитель моей дочери, его телефон 8 701 555 12 34, грубо разговаривает с детьми. Прошу "
     "разобраться.",
     "", None),
]


def _ago(days: int) -> dt.date:
    day = timezone.localdate() - dt.timedelta(days=days)
    while not calendar_default().is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def _at(day: dt.date, hour: int = 11) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


@transaction.atomic
def demo_ensure(*, author_iins: list[str]) -> dict[str, int]:
    """The demo questions, once. `author_iins`: the demo citizens who ask them."""
    if Question.objects.filter(title=QUESTIONS[0][5]).exists():
        return {"questions": 0}
    found = [user_get_by_iin(iin=iin) for iin in author_iins]
    authors = [a for a in found if a is not None]
    if not authors:
        return {"questions": 0}
    for code, (kk, ru, en) in POSITIONS.items():
        services.agency_settings_set(organisation_code=code,
                                     head_position={"kk": kk, "ru": ru, "en": en})
    cal = calendar_default()
    made = 0
    for i, (code, topic, who, ago, outcome, title, text, answer, rating) in enumerate(QUESTIONS):
        heads = organisation_member_ids(code=code, roles={"head"})
        officers = organisation_member_ids(code=code, roles={"officer"})
        if not heads or not officers:
            continue
        head, officer = user_get(user_id=heads[0]), user_get(user_id=officers[0])
        author = authors[who % len(authors)]
        q = services.question_ask(actor=author, organisation_code=code, topic=topic,
                                  title=title, text=text, show_initials=i % 3 == 0,
                                  language="kk" if "ә" in text or "ұ" in text else "ru")
        received = _ago(ago)
        due = services.due_date_for(received_on=received, organisation_code=code)
        Question.objects.filter(pk=q.pk).update(received_on=received, due_date=due,
                                                created_at=_at(received, 9))  # fmt: skip
        made += 1
        if outcome == "moderation":
            continue
        if outcome == "rejected":
            services.question_moderate(actor=officer, question_id=q.pk, decision="reject",
                                       reason="personal_data")
            continue
        services.question_moderate(actor=officer, question_id=q.pk, decision="publish")
        Question.objects.filter(pk=q.pk).update(moderated_at=_at(cal.add_working_days(received, 1)))
        if outcome in ("awaiting", "overdue"):
            continue
        signer = officer if outcome == "officer" else head
        services.question_answer(actor=signer, question_id=q.pk, text=answer)
        days = {"answered_late": 19}.get(outcome, 6 + i % 7)
        answered_on = cal.add_working_days(received, days)
        Question.objects.filter(pk=q.pk).update(
            answered_at=_at(answered_on, 16), answered_on_time=answered_on <= due,
            working_days_to_answer=days, overdue=answered_on > due)
        for reader in authors:
            if reader.pk != author.pk and i % 2 == 0:
                services.question_same(actor=reader, question_id=q.pk)
        if rating:
            services.question_rate(actor=author, question_id=q.pk, rating=rating,
                                   not_answered=rating <= 2)
    services.overdue_mark()
    return {"questions": made}
