"""The portal signs every submission: "Sign and submit" shows exactly what is signed, the SMS
code confirms it, and only then does the application exist; its page says who signed it and
offers the signature to download."""

from __future__ import annotations

import html
import uuid

import pytest
from django.urls import reverse

from qyzmet.applications.models import Application
from tests.applications.signing import decide, sms_code, texted
from tests.portal.factories import SERVICE, catalog_loaded, citizen, officer

pytestmark = pytest.mark.django_db

APPLY = reverse("apply", kwargs={"code": SERVICE})


@pytest.fixture(autouse=True)
def _catalog():
    catalog_loaded()


@pytest.fixture
def me(client):
    user = citizen(last_name="Сейітов", first_name="Нұрлан")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return user


def _start(client, **fields):
    form = {"intent": "submit", "idempotency_key": str(uuid.uuid4()), "purpose": "bank", **fields}
    response = texted(lambda: client.post(APPLY, form))
    assert response.status_code == 302
    return response["Location"]


def test_the_signing_page_shows_exactly_what_is_signed(client, me):
    sign_url = _start(client, comment="Ипотекаға")
    page = html.unescape(client.get(sign_url).content.decode())
    assert '"kind": "qyzmet.application.submission/1"' in page
    assert '"comment": "Ипотекаға"' in page
    assert f'"applicant": "{me.iin}"' in page
    assert '"evidence"' in page and "Сейітов" in page  # the registry facts are signed too
    assert 'name="next"' in page
    assert not Application.objects.exists()


def test_signed_application_page_names_the_signer_and_offers_the_p7s(client, me):
    sign_url = _start(client)
    done = client.post(sign_url, {"code": sms_code(me)})
    assert done["Location"].startswith(f"/services/{SERVICE}/apply/signed/")
    landed = client.get(done["Location"])["Location"]
    application = Application.objects.get()
    assert landed == reverse("my-application-submitted", args=[application.pk])
    page_url = reverse("my-application", args=[application.pk])
    assert application.submission_signature_id
    html = client.get(page_url).content.decode()
    assert "Signed by Сейітов Нұрлан" in html and f"(IIN {me.iin})" in html
    p7s_url = reverse("my-application-signature", args=[
        application.pk, application.submission_signature_id, "signature.p7s"
    ])
    assert f'href="{p7s_url}"' in html
    p7s = client.get(p7s_url)
    assert p7s.status_code == 200 and p7s["Content-Type"] == "application/pkcs7-signature"
    content = client.get(p7s_url.replace("signature.p7s", "content.json"))
    assert content.content.startswith(b'{"applicant":"')

    # The officer sees the same signature on the case and can download it.
    clerk = officer()
    client.force_login(clerk)
    case = client.get(reverse("bo-case", args=[application.pk])).content.decode()
    assert f"(IIN {me.iin})" in case
    bo_p7s = reverse("bo-case-signature", args=[
        application.pk, application.submission_signature_id, "signature.p7s"
    ])
    assert client.get(bo_p7s).content == p7s.content
    assert client.get(bo_p7s.replace("signature.p7s", "nothing")).status_code == 404


def test_a_signed_decision_is_shown_to_the_citizen(client, me):
    sign_url = _start(client)
    client.get(client.post(sign_url, {"code": sms_code(me)})["Location"])
    application = Application.objects.get()
    clerk = officer()
    from qyzmet.applications import services

    services.application_act(actor=clerk, application_id=application.pk, action="take")
    decide(clerk, application_id=application.pk, action="refuse", reason="Not here.")
    html = client.get(reverse("my-application", args=[application.pk])).content.decode()
    assert html.count("data-signature=") == 2
    assert f"(IIN {clerk.iin})" in html


def test_wrong_code_submits_nothing(client, me):
    sign_url = _start(client)
    good = sms_code(me)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post(sign_url, {"code": wrong})
    assert response.status_code == 400
    assert 'data-problem="invalid_code"' in response.content.decode()
    assert not Application.objects.exists()


def test_return_address_before_signing_submits_nothing(client, me):
    sign_url = _start(client)
    next_url = sign_url.split("next=")[1]
    from urllib.parse import unquote

    response = client.get(unquote(next_url))
    assert response.status_code == 302 and response["Location"].startswith("/sign/")
    assert not Application.objects.exists()


def test_return_address_twice_makes_one_application(client, me):
    sign_url = _start(client)
    done = client.post(sign_url, {"code": sms_code(me)})["Location"]
    first, second = client.get(done), client.get(done)
    assert first["Location"] == second["Location"]
    assert Application.objects.count() == 1
    # The code cannot be used again either.
    again = client.post(sign_url, {"code": sms_code(me)})
    assert Application.objects.count() == 1 and again.status_code in (200, 302)


def test_next_to_another_site_is_not_followed(client, me):
    sign_url = _start(client).split("?")[0]
    response = client.post(f"{sign_url}?next=https://evil.example/", {"code": sms_code(me)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-next" not in page and 'value="https://evil.example/"' not in page


def test_someone_elses_signature_return_address_is_404(client, me):
    sign_url = _start(client)
    done = client.post(sign_url, {"code": sms_code(me)})["Location"]
    client.force_login(citizen())
    assert client.get(done).status_code == 404
    assert not Application.objects.exists()


def test_continue_and_confirm_and_sign_are_translated(client, me):
    check = reverse("apply-check", kwargs={"code": SERVICE})
    client.post(APPLY, {"intent": "check", "idempotency_key": str(uuid.uuid4()),
                        "purpose": "bank"})
    client.cookies["django_language"] = "kk"
    assert "Жалғастыру" in client.get(APPLY).content.decode()
    assert "Растап, қол қою" in client.get(check).content.decode()
    client.cookies["django_language"] = "ru"
    assert "Продолжить" in client.get(APPLY).content.decode()
    assert "Подтвердить и подписать" in client.get(check).content.decode()
