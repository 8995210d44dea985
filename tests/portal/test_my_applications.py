"""My applications: only mine, newest first, paged; one application's page; the request for
information answered through the pages; the result PDF."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from qyzmet.applications import services as app_services
from qyzmet.applications.models import Application, Attachment
from tests.applications.signing import sms_code
from tests.portal.factories import (
    PDF_BYTES,
    PNG_BYTES,
    catalog_loaded,
    citizen,
    officer,
    submitted,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _catalog():
    catalog_loaded()


def _url(application, name="my-application"):
    return reverse(name, kwargs={"application_id": application.pk})


def test_my_list_shows_only_mine_newest_first(client):
    me, other = citizen(), citizen()
    older = submitted(me, data={"purpose": "bank"})
    newer = submitted(me, data={"purpose": "school"})
    theirs = submitted(other)
    client.force_login(me)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("my-applications")).content.decode()
    assert newer.number in html and older.number in html
    assert theirs.number not in html
    assert html.index(newer.number) < html.index(older.number)
    assert "Certificate of registered address" in html
    assert "Submitted" in html


def test_my_list_is_paged_with_a_cursor(client):
    me = citizen()
    made = [submitted(me, data={"purpose": "bank"}) for _ in range(22)]
    client.force_login(me)
    first = client.get(reverse("my-applications")).content.decode()
    assert made[-1].number in first and made[1].number not in first
    cursor = first.split('href="?cursor=')[1].split('"')[0]
    second = client.get(reverse("my-applications") + f"?cursor={cursor}").content.decode()
    assert made[1].number in second and made[0].number in second
    assert made[-1].number not in second
    assert 'rel="next"' not in second


def test_status_is_translated(client):
    me = citizen()
    submitted(me)
    client.force_login(me)
    client.cookies["django_language"] = "ru"
    assert "Подана" in client.get(reverse("my-applications")).content.decode()
    client.cookies["django_language"] = "kk"
    assert "Берілді" in client.get(reverse("my-applications")).content.decode()


def test_another_citizens_application_is_404(client):
    theirs = submitted(citizen())
    client.force_login(citizen())
    assert client.get(_url(theirs)).status_code == 404
    assert client.get(_url(theirs, "my-application-result")).status_code == 404
    response = client.post(_url(theirs, "my-application-answer"), {"answer": "hi"})
    assert response.status_code == 404


def test_application_page_shows_data_facts_and_history(client):
    me = citizen(last_name="Омарова", first_name="Дана", sex="F")
    application = submitted(me, data={"purpose": "employer", "comment": "срочно"})
    client.force_login(me)
    client.cookies["django_language"] = "en"
    html = client.get(_url(application)).content.decode()
    assert "What the certificate is for" in html and "For an employer" in html
    assert "срочно" in html
    assert "Омарова Дана" in html  # the registry facts used
    assert "Application submitted" in html
    assert application.due_date.strftime("%d.%m.%Y") in html


def _request_info(application, reason="Attach the lease contract, please."):
    clerk = officer()
    app_services.application_act(actor=clerk, application_id=application.pk, action="take")
    app_services.application_act(
        actor=clerk, application_id=application.pk, action="request_info", reason=reason
    )
    return clerk


def test_request_info_round_trip_through_the_pages(client):
    me = citizen()
    application = submitted(me)
    clerk = officer()
    client.force_login(clerk)
    client.post(reverse("bo-act", kwargs={"application_id": application.pk}),
                {"action": "take"})
    client.post(reverse("bo-act", kwargs={"application_id": application.pk}),
                {"action": "request_info", "reason": "Attach the lease contract, please."})
    application.refresh_from_db()
    assert application.state == "info_requested"

    client.force_login(me)
    client.cookies["django_language"] = "en"
    html = client.get(_url(application)).content.decode()
    assert "Attach the lease contract, please." in html
    assert 'action="' + _url(application, "my-application-answer") + '"' in html
    assert 'enctype="multipart/form-data"' in html

    upload = _file("lease.pdf", PDF_BYTES)
    response = client.post(_url(application, "my-application-answer"),
                           {"answer": "Here it is.", "file": upload})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == "in_review"
    assert Attachment.objects.filter(application=application).count() == 1

    client.force_login(clerk)
    case = client.get(reverse("bo-case", kwargs={"application_id": application.pk}))
    html = case.content.decode()
    attachment = Attachment.objects.get()
    link = reverse("bo-attachment", kwargs={"application_id": application.pk,
                                           "attachment_id": attachment.pk})
    assert link in html and "lease.pdf" in html and "Here it is." in html
    download = client.get(link)
    assert download.status_code == 200
    assert download.content == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]


def _file(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


@override_settings(QYZMET_UPLOAD_MAX_BYTES=1024 * 1024)
def test_oversized_upload_names_the_limit_and_changes_nothing(client):
    me = citizen()
    application = submitted(me)
    _request_info(application)
    client.force_login(me)
    client.cookies["django_language"] = "en"
    big = _file("scan.pdf", PDF_BYTES + b"0" * (1024 * 1024))
    response = client.post(_url(application, "my-application-answer"),
                           {"answer": "scan", "file": big})
    html = response.content.decode()
    assert response.status_code == 200
    assert "larger than the limit of 1 MB" in html
    assert 'href="#field-file"' in html
    assert 'aria-invalid="true"' in html
    application.refresh_from_db()
    assert application.state == "info_requested"
    assert not Attachment.objects.exists()


def test_wrong_file_type_is_refused_and_changes_nothing(client):
    me = citizen()
    application = submitted(me)
    _request_info(application)
    client.force_login(me)
    client.cookies["django_language"] = "en"
    response = client.post(_url(application, "my-application-answer"),
                           {"answer": "see file", "file": _file("run.pdf", b"MZ\x90\x00exe")})
    html = response.content.decode()
    assert response.status_code == 200
    assert "PDF, JPEG, PNG" in html
    application.refresh_from_db()
    assert application.state == "info_requested"
    assert not Attachment.objects.exists()


def test_png_answer_is_accepted(client):
    me = citizen()
    application = submitted(me)
    _request_info(application)
    client.force_login(me)
    response = client.post(_url(application, "my-application-answer"),
                           {"answer": "", "file": _file("photo.png", PNG_BYTES)})
    assert response.status_code == 302
    assert Attachment.objects.get().content_type == "image/png"


def test_empty_answer_is_an_error(client):
    me = citizen()
    application = submitted(me)
    _request_info(application)
    client.force_login(me)
    response = client.post(_url(application, "my-application-answer"), {"answer": "  "})
    assert response.status_code == 200
    assert 'href="#field-answer"' in response.content.decode()
    application.refresh_from_db()
    assert application.state == "info_requested"


def test_answer_when_no_information_was_asked_changes_nothing(client):
    me = citizen()
    application = submitted(me)
    client.force_login(me)
    response = client.post(_url(application, "my-application-answer"),
                           {"answer": "unprompted", "file": _file("a.pdf", PDF_BYTES)})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == "submitted"
    assert not Attachment.objects.exists()


def test_approved_application_offers_the_pdf(client, django_capture_on_commit_callbacks):
    me = citizen()
    application = submitted(me)
    clerk = officer()
    client.force_login(clerk)
    act = reverse("bo-act", kwargs={"application_id": application.pk})
    client.post(act, {"action": "take"})
    with django_capture_on_commit_callbacks(execute=True):
        sign_url = client.post(act, {"action": "approve"})["Location"]
    done = client.post(sign_url, {"code": sms_code(clerk)})["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.get(done)
    application.refresh_from_db()
    assert application.state == "approved"

    client.force_login(me)
    client.cookies["django_language"] = "en"
    html = client.get(_url(application)).content.decode()
    result_url = _url(application, "my-application-result")
    assert f'href="{result_url}"' in html
    assert "Download the result (PDF)" in html
    assert "/verify/" in html
    pdf = client.get(result_url)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'attachment; filename="{application.number}.pdf"'
    assert pdf.content.startswith(b"%PDF-")
    assert Application.objects.count() == 1
