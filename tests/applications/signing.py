"""Signing an application step as a person does: a signature request, the code read from the
SMS outbox (as the phone shows it), the confirmation. Used by the applications, portal, back
office and security tests."""

from __future__ import annotations

import re

from django.test import TestCase

from qyzmet.applications import services as app_services
from qyzmet.notifications.selectors import sms_demo_messages
from qyzmet.signatures.services import pki_init, signature_confirm


def sms_code(user) -> str:
    """The last one-time code texted to the person, as the demo phone shows it (the database
    keeps it masked)."""
    text = sms_demo_messages(phone=user.phone, limit=1)[0].text
    return re.search(r"\b(\d{6})\b", text).group(1)


def texted(make):
    """Run `make()` and deliver what it sends after commit (the SMS with the code)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return make()


def sign_submission(user, *, service_code: str, data: dict, draft_id: int | None = None):
    """Create and confirm the signature of a submission; returns the signature request."""
    pki_init()
    request = texted(lambda: app_services.application_submission_sign(
        actor=user, service_code=service_code, data=data, draft_id=draft_id
    ))
    signature_confirm(actor=user, request_id=request.id, code=sms_code(user))
    return request


def first_ground(application_id: int, action: str) -> str:
    """The first ground the case's package offers for `action` ("" when it is no refusal):
    what a test that is not about grounds refuses on."""
    from qyzmet.applications.models import Application
    from qyzmet.applications.selectors import refusal_grounds

    application = Application.objects.get(pk=application_id)
    grounds = refusal_grounds(application=application, action=action, lang="en")
    return grounds[0].code if grounds else ""


def sign_decision(officer, *, application_id: int, action: str, reason: str = "",
                  ground: str | None = None):
    """Create and confirm an officer's signature of a decision; returns the request. A refusal
    names the package's first ground unless `ground` is given."""
    pki_init()
    if ground is None:
        ground = first_ground(application_id, action)
    request = texted(lambda: app_services.application_decision_sign(
        actor=officer, application_id=application_id, action=action, reason=reason,
        ground=ground,
    ))
    signature_confirm(actor=officer, request_id=request.id, code=sms_code(officer))
    return request


def decide(officer, *, application_id: int, action: str, reason: str = "",
           ground: str | None = None):
    """A signed decision, applied (a refusal on the package's first ground unless given)."""
    if ground is None:
        ground = first_ground(application_id, action)
    request = sign_decision(officer, application_id=application_id, action=action, reason=reason,
                            ground=ground)
    return app_services.application_act(
        actor=officer, application_id=application_id, action=action, reason=reason,
        ground=ground, signature_request_id=request.id,
    )
