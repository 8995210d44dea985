"""A new appeal about the same problem at the same place within the window is linked to the
earlier one; the citizen is told; officers merge or split."""

from __future__ import annotations

import datetime as dt

import pytest

from qyzmet.appeals import services
from qyzmet.appeals.duplicates import distance_m, similarity
from qyzmet.appeals.models import Appeal
from qyzmet.notifications.selectors import notification_list_for_user

from .conftest import ORG, SPB

pytestmark = pytest.mark.django_db

POTHOLE = "Огромная яма на дороге возле дома, машины бьют колёса"
POTHOLE_AGAIN = "Большая яма на дороге у дома, машины разбивают колёса"


def _submit(user, text, lat, lon):
    return services.appeal_submit(actor=user, text=text, lat=lat, lon=lon, language="ru")


def test_similarity_and_distance():
    assert similarity(POTHOLE, POTHOLE_AGAIN) > 0.5
    assert similarity(POTHOLE, "Не работает лифт во втором подъезде") < 0.3
    assert 100 < distance_m(59.9343, 30.3351, 59.9343, 30.3371) < 130


def test_same_problem_nearby_is_linked_and_the_citizen_told(
    citizen, orgs, django_capture_on_commit_callbacks
):
    first = _submit(citizen, POTHOLE, *SPB)
    with django_capture_on_commit_callbacks(execute=True):
        second = _submit(citizen, POTHOLE_AGAIN, SPB[0] + 0.0005, SPB[1])  # ~55 m north
    second.refresh_from_db()
    assert second.duplicate_of_id == first.pk and second.duplicate_state == "linked"
    assert second.duplicate_score >= 0.35
    bodies = [n.body for n in notification_list_for_user(user_id=citizen.pk, limit=20)]
    assert any(first.number in b and second.number in b for b in bodies)


@pytest.mark.parametrize(
    ("text", "dlat", "days_ago"),
    [
        (POTHOLE_AGAIN, 0.003, 0),  # ~330 m away
        ("Не работает лифт во втором подъезде", 0.0, 0),  # different problem
        (POTHOLE_AGAIN, 0.0, 20),  # too long ago
    ],
)
def test_not_a_duplicate(citizen, orgs, text, dlat, days_ago):
    first = _submit(citizen, POTHOLE, *SPB)
    Appeal.objects.filter(pk=first.pk).update(
        created_at=first.created_at - dt.timedelta(days=days_ago))
    second = _submit(citizen, text, SPB[0] + dlat, SPB[1])
    second.refresh_from_db()
    assert second.duplicate_of_id is None


def test_merge_and_split(citizen, officer, triager, django_capture_on_commit_callbacks):
    first = _submit(citizen, POTHOLE, *SPB)
    services.appeal_route(actor=triager, appeal_id=first.pk, organisation_code=ORG)
    second = _submit(citizen, POTHOLE_AGAIN, *SPB)
    with django_capture_on_commit_callbacks(execute=True):
        merged = services.duplicate_merge(actor=triager, appeal_id=second.pk)
    assert merged.status == "closed" and merged.duplicate_state == "merged"
    assert merged.organisation_code == ORG
    split = services.duplicate_split(actor=officer, appeal_id=second.pk)
    assert split.duplicate_of_id is None and split.is_open and split.status == "routed"
    with pytest.raises(Exception) as exc:
        services.duplicate_split(actor=officer, appeal_id=second.pk)
    assert getattr(exc.value, "code", "") == "not_a_duplicate"
