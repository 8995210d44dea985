import pytest
from django.db import IntegrityError, InternalError, OperationalError, connection, transaction

from qyzmet.audit.models import AppendOnlyError, AuditEntry
from qyzmet.audit.selectors import audit_reads_of_subject
from qyzmet.audit.services import Kind, audit_record, personal_data_read

pytestmark = pytest.mark.django_db


def test_entries_cannot_be_changed_or_deleted_through_the_model():
    entry = audit_record(actor=None, kind=Kind.CHANGE, action="x.y", object_type="t", object_id=1)
    entry.action = "tampered"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_database_refuses_update_and_delete_even_with_raw_sql():
    entry = audit_record(actor=None, kind=Kind.CHANGE, action="x.y")
    for sql in (
        "UPDATE audit_auditentry SET action = 'tampered' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises((IntegrityError, InternalError, OperationalError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "x.y"


def test_queryset_update_is_refused_by_the_database():
    audit_record(actor=None, kind=Kind.CHANGE, action="x.y")
    with pytest.raises((IntegrityError, InternalError, OperationalError)), transaction.atomic():
        AuditEntry.objects.update(action="tampered")


def test_personal_data_read_is_listed_for_the_subject():
    personal_data_read(actor=None, subject_iin="900101300018", what="population.person",
                       purpose="application 1")
    reads = list(audit_reads_of_subject(subject_iin="900101300018"))
    assert len(reads) == 1
    assert reads[0].purpose == "application 1"
    assert reads[0].action == "read:population.person"


@pytest.mark.django_db(transaction=True)
def test_delete_is_refused_in_committed_data_too():
    entry = audit_record(actor=None, kind=Kind.CHANGE, action="x.y")
    with pytest.raises((IntegrityError, InternalError, OperationalError)), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
