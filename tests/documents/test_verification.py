"""Annulment, expiry and the verification read model."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from qyzmet.audit.models import AuditEntry
from qyzmet.core.models import OutboxEvent
from qyzmet.core.problem import Problem
from qyzmet.documents.models import Document
from qyzmet.documents.selectors import document_check_bytes, document_verification
from qyzmet.documents.services import document_annul

from .factories import document_issued

pytestmark = pytest.mark.django_db


def test_verification_shows_only_what_is_printed():
    document = document_issued()
    v = document_verification(public_id=document.public_id)
    assert v.status == "valid"
    assert v.number == document.number
    assert v.title["ru"] == "Справка о месте жительства"
    assert v.printed_fields == document.printed_fields
    assert v.sha256 == document.sha256
    assert not hasattr(v, "owner_iin")
    assert document.owner_iin not in repr(v)
    assert document.source_ref not in repr(v)


def test_annul_shows_at_once_and_is_recorded():
    document = document_issued()
    document_annul(actor=None, public_id=document.public_id, reason="Деректер қате енгізілген")
    v = document_verification(public_id=document.public_id)
    assert v.status == "annulled"
    assert v.annul_reason == "Деректер қате енгізілген"
    assert v.annulled_at is not None
    assert AuditEntry.objects.filter(action="document.annul", object_id=str(document.pk)).exists()
    event = OutboxEvent.objects.get(topic="document.annulled")
    assert event.payload["public_id"] == document.public_id


def test_annul_twice_is_a_conflict():
    document = document_issued()
    document_annul(actor=None, public_id=document.public_id, reason="first")
    with pytest.raises(Problem) as caught:
        document_annul(actor=None, public_id=document.public_id, reason="second")
    assert caught.value.status == 409
    assert caught.value.code == "document_already_annulled"
    assert Document.objects.get(pk=document.pk).annul_reason == "first"


def test_annul_unknown_or_without_reason():
    with pytest.raises(Problem) as caught:
        document_annul(actor=None, public_id="unknown", reason="x")
    assert caught.value.status == 404
    document = document_issued()
    with pytest.raises(Problem) as caught:
        document_annul(actor=None, public_id=document.public_id, reason="  ")
    assert caught.value.status == 422


def test_expired_and_annulled_wins_over_expired():
    document = document_issued(valid_days=10)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Document.objects.filter(pk=document.pk).update(valid_until=yesterday)
    assert document_verification(public_id=document.public_id).status == "expired"
    Document.objects.filter(pk=document.pk).update(valid_until=timezone.localdate())
    assert document_verification(public_id=document.public_id).status == "valid"
    Document.objects.filter(pk=document.pk).update(valid_until=yesterday)
    document_annul(actor=None, public_id=document.public_id, reason="r")
    assert document_verification(public_id=document.public_id).status == "annulled"


def test_unknown_public_id_is_not_found():
    with pytest.raises(Problem) as caught:
        document_verification(public_id="does-not-exist")
    assert caught.value.status == 404
    assert caught.value.detail == "No such document."


def test_check_bytes_identical_and_altered():
    document = document_issued()
    pdf = bytes(document.pdf)
    assert document_check_bytes(public_id=document.public_id, pdf_bytes=pdf)
    altered = pdf.replace(b"/Producer", b"/Pr0ducer", 1)
    assert altered != pdf
    assert not document_check_bytes(public_id=document.public_id, pdf_bytes=altered)
    assert not document_check_bytes(public_id=document.public_id, pdf_bytes=pdf + b"\n")
