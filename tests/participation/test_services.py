"""Open legal acts through the real services: the period rules, versions and the diff,
comments and moderation, answers before the summary, the summary sealed with the agency's key
(verified with the real PAdES validation) and the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from qyzmet.audit.models import AuditEntry
from qyzmet.core.problem import Problem
from qyzmet.participation import selectors, services
from qyzmet.participation.diffing import text_diff
from qyzmet.participation.models import Comment, LegalAct
from qyzmet.signatures.selectors import pdf_signature_verify
from tests.participation.factories import NOTE, TEXT, TITLE, draft, published

TODAY = dt.date(2026, 3, 2)


def _pointers(exc) -> set[str]:
    return {e.pointer for e in exc.value.errors}


def test_period_has_a_minimum_from_settings(w, settings):
    with pytest.raises(Problem) as exc:
        draft(w, days=9)
    assert exc.value.status == 422 and _pointers(exc) == {"/comment_days"}
    settings.QYZMET_LEGAL_ACTS_MIN_COMMENT_DAYS = 20
    with pytest.raises(Problem) as exc:
        draft(w, days=15)
    assert _pointers(exc) == {"/comment_days"}
    assert draft(w, days=20).comment_days == 20


def test_kazakh_and_russian_are_required_and_errors_name_fields(w):
    with pytest.raises(Problem) as exc:
        services.legal_act_create(actor=w.officer, organisation_code=w.org, kind="nonsense",
                                  comment_days="ten", title={"ru": "Только русский"},
                                  text={"kk": "Мәтін"}, note={})
    assert _pointers(exc) == {"/kind", "/comment_days", "/title_kk", "/text_ru", "/note_kk",
                              "/note_ru"}


def test_only_staff_of_the_agency_draft_and_only_heads_publish(w):
    with pytest.raises(Problem) as exc:
        services.legal_act_create(actor=w.other_officer, organisation_code=w.org, kind="order",
                                  comment_days=10, title=TITLE, text=TEXT, note=NOTE)
    assert exc.value.status == 403
    act = draft(w)
    with pytest.raises(Problem) as exc:
        services.legal_act_publish(actor=w.officer, act_id=act.pk)
    assert exc.value.status == 403
    with pytest.raises(Problem) as exc:
        services.legal_act_publish(actor=w.other_officer, act_id=act.pk)
    assert exc.value.status == 404
    act = services.legal_act_publish(actor=w.head, act_id=act.pk, today=TODAY)
    assert act.status == "open" and act.closes_on == TODAY + dt.timedelta(days=10)


def test_drafts_are_not_public(w):
    act = draft(w)
    with pytest.raises(Problem):
        selectors.act_public(act_id=act.pk)
    assert selectors.acts_public().total == 0
    with pytest.raises(Problem):
        services.comment_submit(actor=w.citizen, act_id=act.pk, text="Hi")


def test_editing_a_draft_keeps_one_version_editing_an_open_act_adds_versions(w):
    act = draft(w)
    services.legal_act_edit(actor=w.officer, act_id=act.pk, title=TITLE,
                            text={**TEXT, "ru": TEXT["ru"] + "\n\n4. Новое."}, note=NOTE)
    assert act.versions.count() == 1
    services.legal_act_publish(actor=w.head, act_id=act.pk)
    new_ru = (TEXT["ru"] + "\n\n4. Новое.").replace("50", "40")
    v2 = services.legal_act_edit(actor=w.officer, act_id=act.pk, title=TITLE,
                                 text={**TEXT, "ru": new_ru}, note=NOTE, change_note="40")
    assert v2.number == 2 and act.versions.count() == 2
    with pytest.raises(Problem) as exc:  # nothing changed: no empty version
        services.legal_act_edit(actor=w.officer, act_id=act.pk, title=TITLE,
                                text={**TEXT, "ru": new_ru}, note=NOTE)
    assert exc.value.status == 422
    view = selectors.act_public(act_id=act.pk)
    assert [v.number for v in view.versions] == [1, 2]
    assert view.versions[0].text["ru"].startswith("1. Скорость в городе 50")
    diff = selectors.version_diff(view=view, old=1, new=2, lang="ru")
    assert diff.changed_paragraphs == 1 and diff.added == 1 and diff.removed == 1
    changed = next(b for b in diff.blocks if b.kind == "changed")
    assert ("del", "50") in changed.parts and ("ins", "40") in changed.parts


def test_diff_of_added_and_removed_paragraphs():
    diff = text_diff("A b c.\n\nD e.\n\nF.", "A b c.\n\nF.\n\nG h.")
    kinds = [b.kind for b in diff.blocks]
    assert "removed" in kinds and "added" in kinds
    assert diff.removed == 2 and diff.added == 2
    assert text_diff("Same.", "Same.").identical


def test_comments_only_while_open_and_period_closes_idempotently(w):
    act = published(w, opened=TODAY)
    last = TODAY + dt.timedelta(days=10)
    comment = services.comment_submit(actor=w.citizen, act_id=act.pk, text="Ок", paragraph=2,
                                      today=last)
    assert comment.status == "pending" and comment.paragraph == 2
    with pytest.raises(Problem) as exc:
        services.comment_submit(actor=w.citizen, act_id=act.pk, text="Поздно",
                                today=last + dt.timedelta(days=1))
    assert exc.value.status == 409
    act.refresh_from_db()
    assert act.status == "summary_due"  # the late comment found it overdue and closed it
    assert services.legal_acts_close_due(today=last + dt.timedelta(days=2)) == 0
    closes = AuditEntry.objects.filter(action="legal_act.close", object_id=str(act.pk)).count()
    assert closes == 1


def test_scheduled_close(w):
    act = published(w, opened=TODAY)
    assert services.legal_acts_close_due(today=TODAY + dt.timedelta(days=10)) == 0
    assert services.legal_acts_close_due(today=TODAY + dt.timedelta(days=11)) == 1
    assert services.legal_acts_close_due(today=TODAY + dt.timedelta(days=11)) == 0
    act.refresh_from_db()
    assert act.status == "summary_due" and act.closed_at is not None


def test_comment_input_is_checked(w):
    act = published(w)
    with pytest.raises(Problem) as exc:
        services.comment_submit(actor=w.citizen, act_id=act.pk, text=" ", paragraph="9",
                                on_behalf_of=w.business)
    assert _pointers(exc) == {"/text", "/paragraph", "/on_behalf_of"}
    with pytest.raises(Problem) as exc:
        services.comment_submit(actor=w.citizen, act_id=act.pk, text="x" * 3001)
    assert _pointers(exc) == {"/text"}
    ok = services.comment_submit(actor=w.rep, act_id=act.pk, text="От компании",
                                 on_behalf_of=w.business)
    assert ok.on_behalf_of == w.business


def test_precheck_flags_profanity_iin_and_links():
    assert services.comment_precheck("Вы идиоты") == ["profanity"]
    assert services.comment_precheck("мой ИИН 900517300123") == ["iin"]
    assert services.comment_precheck("смотрите https://example.com") == ["link"]
    assert services.comment_precheck("Предлагаю увеличить срок до 30 дней.") == []


def test_moderation_against_the_policy(w):
    act = published(w)
    c1 = services.comment_submit(actor=w.citizen, act_id=act.pk, text="Хорошо")
    c2 = services.comment_submit(actor=w.citizen_b, act_id=act.pk, text="Купите у нас")
    with pytest.raises(Problem) as exc:
        services.comment_moderate(actor=w.officer, act_id=act.pk, comment_id=c2.pk,
                                  decision="reject", reason="")
    assert _pointers(exc) == {"/reason"}
    with pytest.raises(Problem) as exc:
        services.comment_moderate(actor=w.other_officer, act_id=act.pk, comment_id=c1.pk,
                                  decision="accept")
    assert exc.value.status == 404
    services.comment_moderate(actor=w.officer, act_id=act.pk, comment_id=c1.pk,
                              decision="accept")
    services.comment_moderate(actor=w.officer, act_id=act.pk, comment_id=c2.pk,
                              decision="reject", reason="advertising")
    with pytest.raises(Problem) as exc:
        services.comment_moderate(actor=w.officer, act_id=act.pk, comment_id=c1.pk,
                                  decision="reject", reason="insult")
    assert exc.value.status == 409
    public = selectors.act_public(act_id=act.pk).comments
    assert [c.pk for c in public] == [c1.pk]
    mine = selectors.comments_of_author(user=w.citizen_b, act_id=act.pk)
    assert mine[0].status == "rejected" and mine[0].reason == "advertising"


def _close(act):
    services.legal_acts_close_due(today=act.closes_on + dt.timedelta(days=1))


def test_summary_waits_for_every_answer_and_is_sealed(w):
    act = published(w, opened=timezone.localdate() - dt.timedelta(days=11))
    c1 = services.comment_submit(actor=w.citizen, act_id=act.pk, text="Снизьте до 40",
                                 paragraph=1, today=act.closes_on)
    c2 = services.comment_submit(actor=w.citizen_b, act_id=act.pk, text="Согласен",
                                 today=act.closes_on)
    services.legal_act_edit(actor=w.officer, act_id=act.pk, title=TITLE,
                            text={**TEXT, "ru": TEXT["ru"].replace("50", "40")}, note=NOTE)
    with pytest.raises(Problem) as exc:  # the period is open
        services.summary_publish(actor=w.head, act_id=act.pk, today=act.closes_on)
    assert exc.value.code == "period_open"
    _close(act)
    with pytest.raises(Problem) as exc:
        services.summary_publish(actor=w.head, act_id=act.pk)
    assert exc.value.code == "comments_unmoderated"
    for c in (c1, c2):
        services.comment_moderate(actor=w.officer, act_id=act.pk, comment_id=c.pk,
                                  decision="accept")
    services.comment_answer(actor=w.officer, act_id=act.pk, comment_id=c1.pk,
                            position="accepted", text="Учтено")
    with pytest.raises(Problem) as exc:
        services.summary_publish(actor=w.head, act_id=act.pk)
    assert exc.value.code == "comments_unanswered"
    with pytest.raises(Problem) as exc:
        services.comment_answer(actor=w.officer, act_id=act.pk, comment_id=c2.pk,
                                position="maybe", text="")
    assert _pointers(exc) == {"/position", "/answer"}
    services.comment_answer(actor=w.officer, act_id=act.pk, comment_id=c2.pk,
                            position="partly", text="Частично")
    with pytest.raises(Problem) as exc:
        services.summary_publish(actor=w.officer, act_id=act.pk)
    assert exc.value.status == 403
    act = services.summary_publish(actor=w.head, act_id=act.pk, conclusion="Принято.")
    assert act.status == "concluded"
    assert act.summary["comments"] == {"received": 2, "accepted": 2, "rejected": 0,
                                       "answered": 2}
    assert act.summary["changes"]["ru"]["paragraphs_changed"] == 1
    # The sealed PDF verifies with the real PAdES validation, and via the documents' check.
    from qyzmet.documents.selectors import (
        document_pdf,
        document_signature_check,
        document_verification,
    )

    pdf = document_pdf(public_id=act.summary_document)
    verdict = pdf_signature_verify(pdf_bytes=pdf)
    assert verdict.reason == "ok", verdict
    check = document_signature_check(public_id=act.summary_document)
    assert check.signature == "ok"
    assert document_verification(public_id=act.summary_document).issuer_code == w.org
    assert pdf_signature_verify(pdf_bytes=pdf[:-200] + b"x" * 200).reason != "ok"
    with pytest.raises(Problem) as exc:  # final
        services.comment_answer(actor=w.officer, act_id=act.pk, comment_id=c2.pk,
                                position="accepted", text="Поздно")
    assert exc.value.status == 409
    actions = set(AuditEntry.objects.filter(object_type="legal_act").values_list("action",
                                                                                  flat=True))
    assert {"legal_act.create", "legal_act.publish", "legal_act.edit", "legal_act.comment",
            "legal_act.moderate", "legal_act.answer", "legal_act.close",
            "legal_act.summary"} <= actions


def test_public_search_and_filter(w):
    a = published(w)
    other = services.legal_act_create(
        actor=w.other_officer, organisation_code=w.other_org, kind="law", comment_days=10,
        title={"kk": "Білім туралы", "ru": "Об образовании"}, text=TEXT, note=NOTE)
    assert selectors.acts_public(q="ДОРОЖНОГО").total == 1
    assert selectors.acts_public(q="образовании").total == 0  # not published
    assert selectors.acts_public(organisation=w.org).items[0].pk == a.pk
    assert selectors.acts_public(status="concluded").total == 0
    assert other.status == LegalAct.Status.DRAFT


def test_dataset_rows_have_counts_and_no_text(w):
    from qyzmet.core.open_datasets import publishers

    act = published(w)
    c = services.comment_submit(actor=w.citizen, act_id=act.pk, text="Секретный текст")
    services.comment_moderate(actor=w.officer, act_id=act.pk, comment_id=c.pk,
                              decision="reject", reason="off_topic")
    draft(w)
    publisher = next(p for p in publishers() if p.name == "legal-acts-public-comment")
    rows = list(publisher.rows())
    assert len(rows) == 1
    row = rows[0]
    assert row["comments_received"] == 1 and row["comments_rejected"] == 1
    assert row["comments_accepted"] == 0 and row["versions"] == 1
    assert "Секретный" not in repr(rows) and w.citizen.iin not in repr(rows)
    assert {f["name"] for f in publisher.schema["fields"]} == set(row)
    assert Comment.objects.count() == 1
