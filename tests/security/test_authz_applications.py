"""Every API endpoint and every page × anonymous, citizen A (the owner), citizen B, an officer of
the responsible agency and an officer of another agency, with the status each must get.

Someone else's application or another agency's case answers 404, never 403, so that its
existence is not revealed. A completeness test fails when an endpoint or page is added without a
row here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from qyzmet.applications import services as app_services
from qyzmet.applications.selectors import application_attachments
from qyzmet.countries.kz.identifiers import iin_make
from qyzmet.documents.selectors import document_for_source
from qyzmet.notifications.selectors import notification_list_for_user
from tests.applications.signing import sign_decision, sign_submission
from tests.identity.factories import MembershipFactory
from tests.portal.factories import PDF_BYTES, SERVICE, agency, catalog_loaded, citizen, submitted
from tests.security import matrix

# A valid IIN nobody holds (factories start people in 1990 and the 2000s).
UNKNOWN_IIN = iin_make(dt.date(1961, 2, 3), "F", 4242) or iin_make(dt.date(1961, 2, 3), "F", 4243)

ACTORS = ("anonymous", "citizen_a", "citizen_b", "officer", "officer_other")
# Tests run the actors in this order; a row lists the one whose request changes state last.


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(db, django_capture_on_commit_callbacks) -> World:
    catalog_loaded()
    a, b = citizen(), citizen()
    # Officers are citizens in the registry too: they may apply for services like anyone.
    mvd, other = citizen(), citizen()
    MembershipFactory(user=mvd, organisation=agency("kz-mvd"), role="officer")
    MembershipFactory(user=other, organisation=agency("kz-kpssu"), role="officer")
    with django_capture_on_commit_callbacks(execute=True):
        case = submitted(a, key="matrix-case")
        draft = app_services.application_draft_save(
            actor=a, service_code=SERVICE, data={"purpose": "bank"}
        )
        approved = submitted(a, key="matrix-approved")
        for action in ("take", "approve"):
            app_services.application_act(actor=mvd, application_id=approved.pk, action=action)
        app_services.attachment_add(
            actor=a, application_id=case.pk, filename="a.pdf", content=PDF_BYTES
        )
    # Signed steps: a case submitted and decided with signatures, a confirmed submission
    # signature not used yet, and a confirmed decision on a case in review.
    sub = sign_submission(a, service_code=SERVICE, data={"purpose": "school"})
    signed, _ = app_services.application_submit(
        actor=a, service_code=SERVICE, data={"purpose": "school"}, signature_request_id=sub.id
    )
    pending_submission = sign_submission(a, service_code=SERVICE, data={"purpose": "employer"})
    app_services.application_act(actor=mvd, application_id=signed.pk, action="take")
    decision = sign_decision(mvd, application_id=signed.pk, action="refuse", reason="x",
                             ground="documents_false")
    app_services.application_act(actor=mvd, application_id=signed.pk, action="refuse",
                                 reason="x", ground="documents_false",
                                 signature_request_id=decision.id)
    taken = submitted(a, key="matrix-taken")
    app_services.application_act(actor=mvd, application_id=taken.pk, action="take")
    pending_decision = sign_decision(mvd, application_id=taken.pk, action="approve")
    document = document_for_source(source_ref=f"application:{approved.pk}")
    assert document is not None
    notification = notification_list_for_user(user_id=a.pk)[0]
    return World(
        users={"citizen_a": a, "citizen_b": b, "officer": mvd, "officer_other": other},
        ids={
            "case": case.pk,
            "draft": draft.pk,
            "approved": approved.pk,
            "public": document.public_id,
            "attachment": application_attachments(application_id=case.pk)[0].pk,
            "notification": notification.pk,
            "signed": signed.pk,
            "sig": sub.id,
            "pending_submission": pending_submission.id,
            "taken": taken.pk,
            "decision": decision.id,
            "pending_decision": pending_decision.id,
        },
    )




def _expect(anonymous, citizen_a, citizen_b, officer, officer_other, *, order=ACTORS):
    values = dict(zip(ACTORS, (anonymous, citizen_a, citizen_b, officer, officer_other),
                      strict=True))
    return [(actor, values[actor]) for actor in order]


OWNER_LAST = ("anonymous", "citizen_b", "officer", "officer_other", "citizen_a")
OFFICER_LAST = ("anonymous", "citizen_a", "citizen_b", "officer_other", "officer")

APPLY = {"service_code": SERVICE, "data": {"purpose": "bank"}}

# (kind, method, path, body, expectations)
MATRIX = [
    # --- API: authentication -------------------------------------------------------------
    # The fifth failure for one IIN from one address locks it (423), account or not.
    ("api", "post", "/api/v1/auth/login", {"iin": UNKNOWN_IIN, "password": "x" * 12},
     _expect(401, 401, 401, 401, 423)),
    ("api", "post", "/api/v1/auth/verify", {"challenge": "unknown", "code": "000000"},
     _expect(401, 401, 401, 401, 401)),
    ("api", "get", "/api/v1/auth/me", None, _expect(401, 200, 200, 200, 200)),
    ("api", "post", "/api/v1/auth/logout", None, _expect(401, 204, 204, 204, 204)),
    # --- API: public catalogue and verification ------------------------------------------
    ("api", "get", "/api/v1/catalog/services", None, _expect(200, 200, 200, 200, 200)),
    ("api", "get", f"/api/v1/catalog/services/{SERVICE}", None, _expect(200, 200, 200, 200, 200)),
    ("api", "get", "/api/v1/catalog/life-events", None, _expect(200, 200, 200, 200, 200)),
    ("api", "get", "/api/v1/documents/verify/{public}", None, _expect(200, 200, 200, 200, 200)),
    # --- API: the citizen's applications (officers are citizens too) ---------------------
    ("api", "post", "/api/v1/applications", APPLY, _expect(401, 201, 201, 201, 201)),
    ("api", "get", "/api/v1/applications", None, _expect(401, 200, 200, 200, 200)),
    ("api", "get", "/api/v1/applications/{case}", None, _expect(401, 200, 404, 404, 404)),
    ("api", "put", "/api/v1/applications/{draft}/draft", {"data": {"purpose": "school"}},
     _expect(401, 200, 404, 404, 404, order=OWNER_LAST)),
    ("api", "post", "/api/v1/applications/{draft}/submit", {"data": {"purpose": "bank"}},
     _expect(401, 200, 404, 404, 404, order=OWNER_LAST)),
    ("api", "get", "/api/v1/applications/{case}/history", None, _expect(401, 200, 404, 404, 404)),
    ("api", "post", "/api/v1/applications/{case}/actions/provide_info", {"reason": "x"},
     _expect(401, 409, 404, 404, 404)),
    ("api", "post", "/api/v1/applications/{case}/attachments", "FILE",
     _expect(401, 201, 404, 404, 404, order=OWNER_LAST)),
    ("api", "get", "/api/v1/applications/{approved}/result", None,
     _expect(401, 200, 404, 404, 404)),
    # --- API: the officer's inbox --------------------------------------------------------
    ("api", "get", "/api/v1/inbox", None, _expect(401, 403, 403, 200, 200)),
    ("api", "get", "/api/v1/inbox/{case}", None, _expect(401, 403, 403, 200, 404)),
    ("api", "get", "/api/v1/inbox/{case}/history", None, _expect(401, 403, 403, 200, 404)),
    ("api", "post", "/api/v1/inbox/{case}/actions/take", {},
     _expect(401, 403, 403, 200, 404, order=OFFICER_LAST)),
    # Nothing is missing on {case}: the officer is let through and told so (409).
    ("api", "post", "/api/v1/inbox/{case}/evidence/refetch", {},
     _expect(401, 403, 403, 409, 404)),
    # --- API: signing a submission and a decision ----------------------------------------
    ("api", "post", "/api/v1/applications/sign", APPLY, _expect(401, 201, 201, 201, 201)),
    ("api", "post", "/api/v1/inbox/{taken}/actions/approve/sign", {},
     _expect(401, 403, 403, 201, 404, order=OFFICER_LAST)),
    # --- Pages: public -------------------------------------------------------------------
    ("page", "get", "/", None, _expect(200, 200, 200, 200, 200)),
    ("page", "get", "/services/", None, _expect(200, 200, 200, 200, 200)),
    ("page", "get", f"/services/{SERVICE}/", None, _expect(200, 200, 200, 200, 200)),
    ("page", "get", "/verify/{public}/", None, _expect(200, 200, 200, 200, 200)),
    ("page", "get", "/login/", None, _expect(200, 302, 302, 302, 302)),
    ("page", "get", "/login/code/", None, _expect(302, 302, 302, 302, 302)),
    ("page", "post", "/logout/", {}, _expect(302, 302, 302, 302, 302)),
    ("page", "get", "/dev/otp/", None, _expect(404, 404, 404, 404, 404)),
    ("page", "get", "/favicon.ico", None, _expect(200, 200, 200, 200, 200)),
    ("page", "post", "/i18n/setlang/", {"language": "ru"}, _expect(302, 302, 302, 302, 302)),
    # --- Pages: the citizen's --------------------------------------------------------------
    ("page", "get", f"/services/{SERVICE}/apply/", None, _expect(302, 200, 200, 200, 200)),
    ("page", "get", "/my/applications/", None, _expect(302, 200, 200, 200, 200)),
    ("page", "get", "/my/applications/{case}/", None, _expect(302, 200, 404, 404, 404)),
    # The confirmation after submitting: its owner only; a draft has none.
    ("page", "get", "/my/applications/{case}/submitted/", None, _expect(302, 200, 404, 404, 404)),
    ("page", "get", "/my/applications/{draft}/submitted/", None,
     _expect(302, 404, 404, 404, 404)),
    # Check your answers with no answers waiting shows the form instead.
    ("page", "get", f"/services/{SERVICE}/apply/check/", None, _expect(302, 302, 302, 302, 302)),
    ("page", "post", "/my/applications/{case}/answer/", {"message": "x"},
     _expect(302, 200, 404, 404, 404)),
    ("page", "get", "/my/applications/{approved}/result.pdf", None,
     _expect(302, 200, 404, 404, 404)),
    ("page", "get", f"/services/{SERVICE}/apply/signed/{{pending_submission}}/", None,
     _expect(302, 302, 404, 404, 404, order=OWNER_LAST)),
    ("page", "get", "/my/applications/{signed}/signatures/{sig}/signature.p7s", None,
     _expect(302, 200, 404, 404, 404)),
    ("page", "get", "/my/applications/{signed}/signatures/{decision}/content.json", None,
     _expect(302, 200, 404, 404, 404)),
    ("page", "get", "/my/notifications/", None, _expect(302, 200, 200, 200, 200)),
    ("page", "post", "/my/notifications/{notification}/read/", {},
     _expect(302, 302, 404, 404, 404, order=OWNER_LAST)),
    # --- Pages: the back office ------------------------------------------------------------
    ("page", "get", "/backoffice/", None, _expect(302, 403, 403, 200, 200)),
    ("page", "get", "/backoffice/cases/{case}/", None, _expect(302, 403, 403, 200, 404)),
    ("page", "post", "/backoffice/cases/{case}/act/", {"action": "take"},
     _expect(302, 403, 403, 302, 404, order=OFFICER_LAST)),
    ("page", "post", "/backoffice/cases/{case}/evidence/refetch/", {},
     _expect(302, 403, 403, 302, 404)),
    ("page", "get", "/backoffice/cases/{case}/attachments/{attachment}/", None,
     _expect(302, 403, 403, 200, 404)),
    ("page", "get", "/backoffice/cases/{taken}/decide/{pending_decision}/", None,
     _expect(302, 403, 403, 302, 404, order=OFFICER_LAST)),
    # The confirmation of a signed decision, for the officer who signed it.
    ("page", "get", "/backoffice/cases/{signed}/decided/{decision}/", None,
     _expect(302, 403, 403, 200, 404)),
    ("page", "get", "/backoffice/cases/{signed}/signatures/{sig}/signature.p7s", None,
     _expect(302, 403, 403, 200, 404)),
    ("page", "get", "/backoffice/cases/{signed}/signatures/{decision}/content.json", None,
     _expect(302, 403, 403, 200, 404)),
]


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected
