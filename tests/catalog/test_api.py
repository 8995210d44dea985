"""The public catalogue API."""

from __future__ import annotations

import pytest
from django.test import Client

from qyzmet.catalog.services import catalog_sync

from .factories import KZ_SERVICES, shipped_versions

pytestmark = pytest.mark.django_db
BASE = "/api/v1/catalog"


@pytest.fixture(autouse=True)
def _loaded():
    catalog_sync(dirs=[KZ_SERVICES])


def test_list_searches_in_the_requested_language():
    response = Client().get(f"{BASE}/services", {"q": "судимости", "lang": "ru"})
    assert response.status_code == 200
    [item] = response.json()
    assert item["code"] == "kz.criminal-record-certificate"
    assert item["title"] == "Справка о наличии либо отсутствии судимости"
    assert item["agency"]["code"] == "kz-kpssu"
    assert item["fee"] == {"amount": 0, "currency": "KZT"}
    assert item["deadline_working_days"] == 5


def test_list_filters_by_life_event_in_kazakh():
    response = Client().get(f"{BASE}/services", {"life_event": "starting-business", "lang": "kk"})
    assert [s["title"] for s in response.json()] == [
        "Жеке кәсіпкер ретінде қызметті бастау туралы хабарлама"
    ]


def test_detail_gives_the_current_version_with_its_form():
    response = Client().get(f"{BASE}/services/kz.address-certificate", {"lang": "en"})
    assert response.status_code == 200
    body = response.json()
    # The newest file is the current version (v2 added a field; later versions keep it).
    newest = shipped_versions("address-certificate")[-1]
    assert newest >= 2 and body["version"] == newest
    assert body["form"]["ui_order"] == ["purpose", "presented_to", "comment"]
    assert body["form"]["labels"]["purpose"] == "What the certificate is for"
    assert body["form"]["options"]["purpose"]["bank"] == "For a bank"
    assert body["form"]["jsonschema"]["required"] == ["purpose"]
    assert [e["name"] for e in body["evidence"]] == ["person"]
    assert body["legal_basis"].startswith("Law of the Republic of Kazakhstan")
    assert body["deadline_working_days"] == 1


def test_detail_uses_the_request_language_without_lang():
    response = Client(headers={"accept-language": "ru"}).get(
        f"{BASE}/services/kz.kindergarten-queue"
    )
    assert response.json()["lang"] == "ru"
    assert response.json()["form"]["options"]["district"]["medeu"] == "Медеуский район"


def test_unknown_service_is_a_404_problem():
    response = Client().get(f"{BASE}/services/kz.unicorn-licence")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_unknown_language_is_a_422_problem():
    response = Client().get(f"{BASE}/services", {"lang": "de"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_life_events():
    response = Client().get(f"{BASE}/life-events", {"lang": "en"})
    events = {e["code"]: e for e in response.json()}
    assert events["birth-of-child"]["title"] == "Birth of a child"
    assert "kz.child-birth-benefit" in events["birth-of-child"]["services"]
