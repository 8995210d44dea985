"""Open legal acts over HTTP: the public pages read without signing in, form errors name the
field, a published comment never shows its author, the diff is ins/del, the agency's forms."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from qyzmet.participation import services
from qyzmet.participation.models import Comment, LegalAct
from tests.participation.factories import NOTE, TEXT, TITLE, published

B = "/backoffice/open/legal-acts"


def _client(user=None, lang="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    if user is not None:
        client.force_login(user)
    return client


def test_public_list_detail_and_policy(w):
    act = published(w)
    comment = services.comment_submit(actor=w.citizen, act_id=act.pk, text="Дельное замечание",
                                      paragraph=2)
    services.comment_moderate(actor=w.officer, act_id=act.pk, comment_id=comment.pk,
                              decision="accept")
    services.comment_answer(actor=w.officer, act_id=act.pk, comment_id=comment.pk,
                            position="partly", text="Учтём частично")
    anonymous = _client()
    listing = anonymous.get("/legal-acts/?q=traffic").content.decode()
    assert "Amendments to the traffic rules" in listing and f">{w.org}" not in listing
    page = anonymous.get(f"/legal-acts/{act.pk}/").content.decode()
    assert "Дельное замечание" in page and "A citizen" in page and "Учтём частично" in page
    assert w.citizen.full_name not in page and w.citizen.iin not in page
    assert "Sign in to comment" in page and 'id="p-2"' in page
    assert "Advertising" in anonymous.get("/legal-acts/moderation-policy/").content.decode()


def test_comment_form_errors_name_the_field(w):
    act = published(w)
    client = _client(w.citizen)
    response = client.post(f"/legal-acts/{act.pk}/", {"text": "", "paragraph": "99"})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'href="#text"' in body and "Your comment:" in body
    assert 'href="#paragraph"' in body and "Paragraph (optional):" in body
    response = client.post(f"/legal-acts/{act.pk}/", {"text": "Предложение", "paragraph": "1"})
    assert response.status_code == 302
    page = client.get(f"/legal-acts/{act.pk}/").content.decode()
    assert "Awaiting moderation" in page  # the author sees their own comment's state


def test_business_representative_comments_for_the_organisation(w):
    act = published(w)
    client = _client(w.rep)
    assert "Dorstroy LLP" in client.get(f"/legal-acts/{act.pk}/").content.decode()
    client.post(f"/legal-acts/{act.pk}/", {"text": "Позиция компании",
                                           "on_behalf_of": w.business})
    comment = Comment.objects.get()
    services.comment_moderate(actor=w.officer, act_id=act.pk, comment_id=comment.pk,
                              decision="accept")
    page = _client().get(f"/legal-acts/{act.pk}/").content.decode()
    assert "Dorstroy LLP" in page and w.rep.full_name not in page


def test_diff_page_marks_removed_and_added_words(w):
    act = published(w)
    services.legal_act_edit(actor=w.officer, act_id=act.pk, title=TITLE,
                            text={**TEXT, "en": "1. Speed 40.", "ru": TEXT["ru"]}, note=NOTE)
    services.legal_act_edit(actor=w.officer, act_id=act.pk, title=TITLE,
                            text={**TEXT, "en": "1. Speed 30."}, note=NOTE)
    body = _client().get(f"/legal-acts/{act.pk}/diff/?from=2&to=3").content.decode()
    assert "<del>" in body and "40" in body and "<ins>" in body
    assert _client().get(f"/legal-acts/{act.pk}/diff/?from=1&to=9").status_code == 404
    assert _client().get(f"/legal-acts/{act.pk}/diff/?from=x").status_code == 200


def test_overdue_act_closes_on_page_view(w):
    act = published(w, opened=timezone.localdate() - dt.timedelta(days=11))
    body = _client().get(f"/legal-acts/{act.pk}/").content.decode()
    assert "The comment period is over." in body
    assert LegalAct.objects.get(pk=act.pk).status == "summary_due"


def test_agency_new_draft_form_errors_name_the_field(w):
    client = _client(w.officer)
    response = client.post(f"{B}/new/", {"kind": "order", "comment_days": "5",
                                         "title_ru": "Только по-русски"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Comment period, days:" in body and 'href="#comment_days"' in body
    assert "Title (in Kazakh):" in body and 'href="#title_kk"' in body
    response = client.post(f"{B}/new/", {
        "kind": "order", "comment_days": "12", "title_kk": "Атауы", "title_ru": "Название",
        "text_kk": "Мәтін", "text_ru": "Текст", "note_kk": "Жазба", "note_ru": "Записка"})
    assert response.status_code == 302
    act = LegalAct.objects.get()
    assert act.status == "draft" and act.comment_days == 12
    page = _client(w.head).get(f"{B}/{act.pk}/").content.decode()
    assert "Publish for comment" in page
    _client(w.head).post(f"{B}/{act.pk}/publish/")
    assert LegalAct.objects.get().status == "open"


def test_moderation_without_a_reason_names_the_field(w):
    act = published(w)
    comment = services.comment_submit(actor=w.citizen, act_id=act.pk, text="Смотрите www.x.kz")
    client = _client(w.officer)
    page = client.get(f"{B}/{act.pk}/").content.decode()
    assert "Contains a link" in page
    response = client.post(f"{B}/{act.pk}/comments/{comment.pk}/moderate/",
                           {"decision": "reject"}, follow=True)
    assert "Ground for refusal:" in response.content.decode()
    assert Comment.objects.get().status == "pending"
