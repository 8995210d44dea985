"""Test data for open dialogue: agencies, their heads, officers and moderators, and questions
made through the real services."""

from __future__ import annotations

from qyzmet.dialogue import services
from qyzmet.identity.models import Organisation
from tests.identity.factories import MembershipFactory, OrganisationFactory, UserFactory

GOOD_TITLE = "Когда откроют новую школу в микрорайоне?"
GOOD_TEXT = ("В нашем микрорайоне строят школу уже третий год. Когда её откроют и сколько "
             "в ней будет мест для первоклассников?")


def agency(code: str) -> Organisation:
    return Organisation.objects.filter(code=code).first() or OrganisationFactory(code=code)


def member(code: str, role: str):
    user = UserFactory()
    MembershipFactory(user=user, organisation=agency(code), role=role)
    return user


def asked(author, code: str, **kw):
    values = {"organisation_code": code, "topic": "education", "title": GOOD_TITLE,
              "text": GOOD_TEXT, **kw}
    return services.question_ask(actor=author, **values)


def published(author, code: str, moderator, **kw):
    question = asked(author, code, **kw)
    return services.question_moderate(actor=moderator, question_id=question.pk,
                                      decision="publish")


def answered(author, code: str, head, **kw):
    question = published(author, code, head, **kw)
    return services.question_answer(actor=head, question_id=question.pk,
                                    text="Школа откроется 1 сентября, в ней 1200 мест.")
