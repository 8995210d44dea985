"""The header's language switch on a page with a form keeps what was typed: the sign-in form (the
IIN, never the password), the appeal form and the reopen reason; the switch's controls belong to
the page's form and post it to /i18n/keep/, which sets the language and goes back to the page."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from qyzmet.appeals import services as appeal_services
from qyzmet.appeals.models import Appeal
from tests.identity.factories import UserFactory

pytestmark = pytest.mark.django_db

TEXT = "Аулада шұңқыр бар, <b>жарық жоқ</b> & су ағып жатыр"


def _switch(client: Client, page: str, lang: str, **fields: str):
    html = client.get(page).content.decode()
    # The page's switch belongs to the page's form and posts it to /i18n/keep/.
    form_id = re.search(r'name="language" form="([^"]+)"', html).group(1)
    assert f'id="{form_id}"' in html and 'formaction="/i18n/keep/"' in html
    return client.post("/i18n/keep/", {**fields, "language": lang, "switch_next": page})


def test_sign_in_keeps_the_iin_never_the_password():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = "/login/?next=/my/appeals/"
    response = _switch(client, page, "kk", iin="900101300123", password="s3cret-Pass",
                       next="/my/appeals/")  # fmt: skip
    assert response.status_code == 302 and response["Location"] == page
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "kk"
    assert "s3cret-Pass" not in str(dict(client.session.items()))
    html = client.get(page).content.decode()
    assert '<html lang="kk"' in html
    assert 'value="900101300123"' in html and "s3cret-Pass" not in html
    # Once: a later visit starts empty.
    assert 'value="900101300123"' not in client.get(page).content.decode()


def test_appeal_form_keeps_text_address_point_and_category():
    person = UserFactory()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(person)
    response = _switch(client, "/appeals/new/", "ru", text=TEXT, address="Абай даңғылы, 10",
                       lat="51.128", lon="71.43", category="roof")  # fmt: skip
    assert response.status_code == 302
    html = client.get("/appeals/new/").content.decode()
    assert '<html lang="ru"' in html
    assert ">Аулада шұңқыр бар, &lt;b&gt;жарық жоқ&lt;/b&gt; &amp; су ағып жатыр</textarea>" in html
    assert 'value="Абай даңғылы, 10"' in html and 'value="51.128"' in html
    assert 'value="roof" selected' in html
    assert not Appeal.objects.exists()  # nothing was submitted


def test_reopen_reason_is_kept_on_the_appeal_page():
    person = UserFactory()
    appeal = appeal_services.appeal_submit(actor=person, text="Шұңқыр", lat=51.128, lon=71.43,
                                           language="kk")  # fmt: skip
    Appeal.objects.filter(pk=appeal.pk).update(status="answered")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(person)
    page = f"/my/appeals/{appeal.pk}/"
    _switch(client, page, "kk", reason="Жауап толық емес")
    html = client.get(page).content.decode()
    assert '<html lang="kk"' in html and ">Жауап толық емес</textarea>" in html


def test_values_go_back_only_to_the_page_they_came_from_and_never_offsite():
    person = UserFactory()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(person)
    response = client.post("/i18n/keep/", {"text": TEXT, "language": "kk",
                                           "switch_next": "https://evil.example/"})  # fmt: skip
    assert response["Location"] == "/"
    client.post("/i18n/keep/", {"text": TEXT, "language": "kk", "switch_next": "/appeals/new/"})
    assert "шұңқыр" not in client.get("/my/appeals/").content.decode()
    assert "шұңқыр" in client.get("/appeals/new/").content.decode()
    assert client.get("/i18n/keep/").status_code == 405
