"""The foundation journey over real HTTP: a citizen applies with registry data prefilled, the
officer asks for more information, the citizen answers, the officer approves, the citizen downloads
the PDF and an anonymous visitor verifies it."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from pypdf import PdfReader

from .conftest import api_login, http_client, latest_sms_code

pytestmark = pytest.mark.django_db(transaction=True)

PDF_UPLOAD = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_whole_journey_over_http(live_server, demo_world):
    base = live_server.url
    citizen = api_login(base, demo_world.citizen_a)
    officer = api_login(base, demo_world.officer_mvd)
    anonymous = http_client(base)

    # The public catalogue lists the service.
    services = anonymous.get("/api/v1/catalog/services").json()
    codes = {s["code"] for s in (services["items"] if isinstance(services, dict) else services)}
    assert "kz.address-certificate" in codes

    # Sign what is submitted (the code comes by SMS), then apply with the signature and an
    # Idempotency-Key; a retry returns the same application.
    key = str(uuid.uuid4())
    body = {"service_code": "kz.address-certificate", "data": {"purpose": "bank"}, "language": "kk"}
    to_sign = citizen.post("/api/v1/applications/sign", json=body)
    assert to_sign.status_code == 201, to_sign.text
    to_sign = to_sign.json()
    confirmed = citizen.post(
        to_sign["confirm_url"], json={"code": latest_sms_code(demo_world.citizen_a)}
    )
    assert confirmed.status_code == 201, confirmed.text
    body["signature_request_id"] = to_sign["signature_request_id"]
    first = citizen.post("/api/v1/applications", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    application = first.json()
    again = citizen.post("/api/v1/applications", json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 200
    assert again.json()["id"] == application["id"]
    app_id = application["id"]
    # Evidence came from the population registry, not from the citizen.
    assert application["evidence"]["person"]["iin"] == demo_world.citizen_a
    assert application["evidence"]["person"]["address"]["full"]
    assert application["state"] == "submitted"
    assert application["due_date"]
    assert application["submission_signature"]["signer_iin"] == demo_world.citizen_a
    assert application["submission_signature"]["sha256"] == to_sign["sha256"]

    # The officer finds it in the inbox, takes it and asks for more information.
    inbox = officer.get("/api/v1/inbox").json()
    assert app_id in [item["id"] for item in inbox["items"]]
    assert officer.post(f"/api/v1/inbox/{app_id}/actions/take", json={}).status_code == 200
    asked = officer.post(
        f"/api/v1/inbox/{app_id}/actions/request_info",
        json={"reason": "Please attach the bank's request letter."},
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["state"] == "info_requested"

    # The citizen sees the request, attaches a file and answers; the clock restarts.
    mine = citizen.get(f"/api/v1/applications/{app_id}").json()
    assert mine["state"] == "info_requested"
    assert "provide_info" in mine["actions"]
    uploaded = citizen.post(
        f"/api/v1/applications/{app_id}/attachments",
        files={"file": ("letter.pdf", PDF_UPLOAD, "application/pdf")},
    )
    assert uploaded.status_code == 201, uploaded.text
    answered = citizen.post(
        f"/api/v1/applications/{app_id}/actions/provide_info", json={"reason": "Attached."}
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "in_review"

    # The officer signs the approval (with the agency's official certificate) and approves.
    decision = officer.post(f"/api/v1/inbox/{app_id}/actions/approve/sign", json={})
    assert decision.status_code == 201, decision.text
    decision = decision.json()
    confirmed = officer.post(
        decision["confirm_url"], json={"code": latest_sms_code(demo_world.officer_mvd)}
    )
    assert confirmed.status_code == 201, confirmed.text
    approved = officer.post(
        f"/api/v1/inbox/{app_id}/actions/approve",
        json={"signature_request_id": decision["signature_request_id"]},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"

    # The citizen downloads the result PDF, in Kazakh, with the verification link in it.
    mine = citizen.get(f"/api/v1/applications/{app_id}").json()
    assert mine["result_url"]
    pdf = citizen.get(mine["result_url"])
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert application["evidence"]["person"]["full_name"].split()[0] in text
    match = re.search(r"/verify/([A-Za-z0-9_-]+)/", text.replace("\n", ""))
    assert match, text
    public_id = match.group(1)
    assert mine["verify_url"].endswith(f"/verify/{public_id}/")

    # Anyone can verify it, without seeing the IIN.
    page = anonymous.get(f"/verify/{public_id}/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert demo_world.citizen_a not in page.text
    verdict = anonymous.get(f"/api/v1/documents/verify/{public_id}").json()
    assert verdict["status"] == "valid"
    # Sealed by the agency (PAdES with a timestamp) and recorded in the transparency log.
    assert verdict["seal"]["signature"] == "ok", verdict["seal"]
    assert verdict["seal"]["valid"] is True
    assert verdict["seal"]["certificate_status"] == "good"
    assert verdict["seal"]["log"] in {"included", "appended"}
    # A visitor uploads the copy they were given: it is byte-identical to the issued document.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    check = anonymous.post(
        f"/verify/{public_id}/",
        data={"csrfmiddlewaretoken": token},
        files={"copy": ("copy.pdf", pdf.content, "application/pdf")},
        headers={"Accept-Language": "en", "Referer": f"{base}/verify/{public_id}/"},
    )
    assert check.status_code == 200, check.text
    assert 'data-check="match"' in check.text

    # The history tells the whole story, in order.
    history = [h["action"] for h in citizen.get(f"/api/v1/applications/{app_id}/history").json()]
    assert history == ["submit", "take", "request_info", "provide_info", "approve"]

    # The citizen was told at each step, in Kazakh, in-app and by email.
    from django.core import mail

    from qyzmet.notifications.models import Notification

    inapp = Notification.objects.filter(user__iin=demo_world.citizen_a, channel="inapp")
    assert inapp.count() >= 3
    assert any("№" in n.body for n in inapp)
    from qyzmet.identity.models import User

    email = User.objects.get(iin=demo_world.citizen_a).email
    assert email
    assert sum(email in m.to for m in mail.outbox) >= 3
