"""Open dialogue services: the deadline in working days, moderation (the check and its
rules), answering on time and on the head's behalf, overdue marking (idempotent), rating once,
"the same question" once, notifications and audit rows."""

from __future__ import annotations

import datetime as dt

import pytest

from qyzmet.audit.models import AuditEntry
from qyzmet.core.calendar import calendar_default
from qyzmet.core.problem import Problem
from qyzmet.dialogue import moderation, selectors, services
from qyzmet.dialogue.models import Question
from qyzmet.notifications.models import Notification
from tests.dialogue.conftest import ORG, OTHER
from tests.dialogue.factories import answered, asked, published

pytestmark = pytest.mark.django_db


def test_deadline_counts_working_days_with_the_holidays():
    # Received Wed 18 March 2026: Nauryz (21–23 March, the weekend ones moved to 24–25) and
    # weekends are skipped; the 15th working day after is Monday 13 April.
    assert services.due_date_for(received_on=dt.date(2026, 3, 18),
                                 organisation_code="none") == dt.date(2026, 4, 13)


def test_deadline_per_agency_and_from_settings(people, settings):
    settings.QYZMET_DIALOGUE_DEADLINE_WORKING_DAYS = 10
    assert services.deadline_days(organisation_code=ORG) == 10
    services.agency_settings_set(organisation_code=ORG, deadline_working_days=5)
    assert services.deadline_days(organisation_code=ORG) == 5
    question = asked(people["author"], ORG)
    assert question.due_date == calendar_default().add_working_days(question.received_on, 5)


def test_ask_validates_every_field_by_name(people):
    with pytest.raises(Problem) as caught:
        services.question_ask(actor=people["author"], organisation_code="nope", topic="x",
                              title="short", text="too short")
    assert caught.value.status == 422
    assert {e.pointer for e in caught.value.errors} == {"/organisation", "/topic", "/title",
                                                        "/text"}


def test_author_shown_by_initials_only_when_chosen(people):
    assert asked(people["author"], ORG).author_initials == ""
    assert asked(people["author"], ORG, show_initials=True).author_initials == "А. Н."


@pytest.mark.parametrize(("text", "flag"), [
    ("Мой ИИН 900517300123, проверьте пожалуйста мою очередь на жильё.", "iin"),
    ("Позвоните мне по номеру +7 701 123 45 67, очень нужно ответить.", "phone"),
    ("Почему эта сука-чиновник не отвечает на мои письма уже месяц?", "profanity"),
    ("Подробности на сайте https://example.kz/page, посмотрите внимательно.", "link"),
])  # fmt: skip
def test_the_check_flags(text, flag):
    assert flag in moderation.check(text)


def test_the_check_passes_a_clean_question():
    assert moderation.check("Когда отремонтируют дорогу на улице Абая в 2026 году?") == []


def test_moderation_publishes_clean_and_blocks_personal_data(people):
    clean = asked(people["author"], ORG)
    assert selectors.public_list().items == []  # not public before moderation
    services.question_moderate(actor=people["moderator"], question_id=clean.pk,
                               decision="publish")
    assert [q.pk for q in selectors.public_list().items] == [clean.pk]
    leaky = asked(people["author"], ORG, text="Мой ИИН 900517300123, когда дадут квартиру "
                                              "по очереди?")
    with pytest.raises(Problem) as caught:
        services.question_moderate(actor=people["moderator"], question_id=leaky.pk,
                                   decision="publish")
    assert caught.value.code == "publication_blocked"
    with pytest.raises(Problem) as caught:
        services.question_moderate(actor=people["moderator"], question_id=leaky.pk,
                                   decision="reject", reason="made-up")
    assert caught.value.errors[0].pointer == "/reason"
    services.question_moderate(actor=people["moderator"], question_id=leaky.pk,
                               decision="reject", reason="personal_data")
    leaky.refresh_from_db()
    assert leaky.status == "rejected" and leaky.reject_reason == "personal_data"
    subjects = set(Notification.objects.filter(user=people["author"], channel="inapp")
                   .values_list("subject", flat=True))
    assert len(subjects) == 2  # published, not published
    actions = set(AuditEntry.objects.filter(object_type="dialogue_question")
                  .values_list("action", flat=True))
    assert {"dialogue.asked", "dialogue.published", "dialogue.rejected"} <= actions


def test_another_agency_cannot_moderate_or_answer(people):
    question = asked(people["author"], ORG)
    with pytest.raises(Problem) as caught:
        services.question_moderate(actor=people["other_officer"], question_id=question.pk,
                                   decision="publish")
    assert caught.value.status == 404
    services.question_moderate(actor=people["officer"], question_id=question.pk,
                               decision="publish")
    with pytest.raises(Problem) as caught:
        services.question_answer(actor=people["other_officer"], question_id=question.pk,
                                 text="Ответ другого ведомства, которого не должно быть.")
    assert caught.value.status == 404
    with pytest.raises(Problem) as caught:  # a moderator alone does not sign answers
        services.question_answer(actor=people["moderator"], question_id=question.pk,
                                 text="Ответ модератора, который не подписывает ответы.")
    assert caught.value.status == 403


def test_answer_by_head_and_on_behalf_names_the_position(people):
    services.agency_settings_set(organisation_code=ORG, head_position={
        "kk": "Білім министрі", "ru": "Министр просвещения", "en": "Minister of Education"})
    by_head = answered(people["author"], ORG, people["head"])
    assert by_head.status == "answered" and not by_head.answered_on_behalf
    assert by_head.answer_position_ru == "Министр просвещения"
    assert by_head.answered_on_time is True and by_head.working_days_to_answer == 0
    question = published(people["author"], ORG, people["moderator"])
    with pytest.raises(Problem) as caught:
        services.question_answer(actor=people["officer"], question_id=question.pk, text="Да")
    assert caught.value.errors[0].pointer == "/answer"
    on_behalf = services.question_answer(actor=people["officer"], question_id=question.pk,
                                         text="Ответ подготовлен по поручению министра.")
    assert on_behalf.answered_on_behalf
    assert AuditEntry.objects.filter(action="dialogue.answered").count() == 2
    assert Notification.objects.filter(user=people["author"], channel="inapp",
                                       dedup_key__startswith=f"dialogue:{question.pk}:answered"
                                       ).exists()


def test_overdue_is_marked_once_and_shown(people):
    question = published(people["author"], ORG, people["moderator"])
    later = question.due_date + dt.timedelta(days=1)
    assert services.overdue_mark(today=question.due_date) == {"marked": 0}
    assert services.overdue_mark(today=later) == {"marked": 1}
    assert services.overdue_mark(today=later) == {"marked": 0}  # idempotent
    question.refresh_from_db()
    assert question.overdue
    assert [q.pk for q in selectors.public_list(status="overdue").items] == [question.pk]
    assert selectors.public_list(status="awaiting").items == []
    assert Notification.objects.filter(user=people["head"], channel="inapp").count() == 1
    late = services.question_answer(actor=people["head"], question_id=question.pk,
                                    text="Извините за задержку, школа откроется в сентябре.")
    # Answered today: on time only if today is not after the due date.
    assert late.answered_on_time is (late.answered_at.date() <= question.due_date)


def test_rating_once_by_the_asker_only(people):
    question = answered(people["author"], ORG, people["head"])
    with pytest.raises(Problem) as caught:
        services.question_rate(actor=people["reader"], question_id=question.pk, rating=5)
    assert caught.value.status == 404
    with pytest.raises(Problem) as caught:
        services.question_rate(actor=people["author"], question_id=question.pk, rating=7)
    assert caught.value.errors[0].pointer == "/rating"
    services.question_rate(actor=people["author"], question_id=question.pk, rating=2,
                           not_answered=True)
    with pytest.raises(Problem) as caught:
        services.question_rate(actor=people["author"], question_id=question.pk, rating=5)
    assert caught.value.code == "already_rated"
    question.refresh_from_db()
    assert (question.rating, question.not_answered) == (2, True)


def test_same_question_once_per_person(people):
    question = published(people["author"], ORG, people["moderator"])
    services.question_same(actor=people["reader"], question_id=question.pk)
    services.question_same(actor=people["head"], question_id=question.pk)
    with pytest.raises(Problem) as caught:
        services.question_same(actor=people["reader"], question_id=question.pk)
    assert caught.value.code == "already_marked"
    with pytest.raises(Problem) as caught:
        services.question_same(actor=people["author"], question_id=question.pk)
    assert caught.value.code == "own_question"
    question.refresh_from_db()
    assert question.same_count == 2


def test_search_is_language_independent_and_filters(people):
    kk = published(people["author"], ORG, people["moderator"],
                   title="Қазақстандағы мектептер туралы сұрақ",
                   text="Жаңа мектеп қашан ашылады? Біздің ауданда орын жетпейді.")
    ru = answered(people["author"], OTHER, services_head(OTHER), topic="health",
                  title="Вопрос о поликлинике на Абая",
                  text="Когда в поликлинике появится педиатр? Очереди по две недели.")
    assert [q.pk for q in selectors.public_list(q="казакстандагы").items] == [kk.pk]
    assert [q.pk for q in selectors.public_list(q="ШКОЛА откроется").items] == [ru.pk]
    assert [q.pk for q in selectors.public_list(q="1200 мест").items] == [ru.pk]  # the answer
    assert [q.pk for q in selectors.public_list(organisation_code=OTHER).items] == [ru.pk]
    assert [q.pk for q in selectors.public_list(status="answered").items] == [ru.pk]
    assert [q.pk for q in selectors.public_list(topic="health").items] == [ru.pk]


def services_head(code):
    from tests.dialogue.factories import member

    return member(code, "head")


def test_pages_by_id_keyset(people):
    made = [published(people["author"], ORG, people["moderator"]).pk for _ in range(5)]
    first = selectors.public_list(limit=2)
    second = selectors.public_list(limit=2, cursor=first.next_cursor)
    third = selectors.public_list(limit=2, cursor=second.next_cursor)
    got = [q.pk for page in (first, second, third) for q in page.items]
    assert got == sorted(made, reverse=True) and third.next_cursor is None


def test_agency_figures(people):
    for rating in (5, 4):
        q = answered(people["author"], ORG, people["head"])
        services.question_rate(actor=people["author"], question_id=q.pk, rating=rating)
    published(people["author"], ORG, people["moderator"])
    asked(people["author"], ORG)  # in moderation: not counted
    figures = selectors.agency_figures(organisation_code=ORG)
    assert figures == {"questions": 3, "answered": 2, "in_time": 2, "overdue": 0,
                       "ratings": 2, "mean_rating": 4.5}
    assert Question.objects.filter(organisation_code=ORG).count() == 4
