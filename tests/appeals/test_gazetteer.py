"""Address-only appeals get their place from the product's own gazetteer: a district named (or
implied by a town) in the address, a house learned from earlier appeals that had coordinates, a
street whose appeals agree on a district; otherwise the appeal is accepted and flagged for
triage, and the citizen is told. The learned table is filled as appeals arrive and by the demo
loader, and is measured on the real St Petersburg addresses."""

from __future__ import annotations

import gzip
import itertools
import json

import pytest
from django.core.management import call_command
from django.test import Client

from qyzmet.appeals import gazetteer, services
from qyzmet.appeals.models import AddressPoint, Appeal, AppealEvent, RoutingSuggestion
from qyzmet.identity.services import api_token_issue

from .conftest import SPB

pytestmark = pytest.mark.django_db

REAL = "г.Санкт-Петербург, Мебельная улица, дом 47, корпус 1, литера А"
REAL_POINT = (59.9943342, 30.1971070)


def api(user) -> Client:
    return Client(
        HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}", HTTP_ACCEPT_LANGUAGE="en"
    )


@pytest.mark.parametrize(
    "written",
    [
        REAL,
        "ул. Мебельная, д. 47, к. 1",
        "Мебельная ул., 47к1",
        "Санкт-Петербург, улица Мебельная, дом 47 корпус 1, кв. 12",
        "СПб, Мебельная улица 47 корп. 1, подъезд 2",
    ],
)
def test_one_house_written_many_ways_has_one_key(written):
    parsed = gazetteer.address_parse(written)
    assert (parsed.street, parsed.house) == ("мебельная", "47к1")


@pytest.mark.parametrize(
    ("written", "district"),
    [
        ("Невский район, ул. Седова, 10", "Невский"),
        ("в Невском районе у остановки", "Невский"),
        ("Невского р-на, ул. Бабушкина 3", "Невский"),
        ("Nevsky District, 5 Sedova street", "Невский"),
        ("Невский ауданы, Седов көшесі 5", "Невский"),
        ("город Колпино, улица Ижорского Батальона, дом 8", "Колпинский"),
        ("посёлок Шушары, Новгородский проспект, 12", "Пушкинский"),
        ("Астана, Есіл ауданы, Қабанбай батыр даңғылы 11", "Есиль"),
        ("Астана, район Алматы, ул. Жангельдина 3", "Алматы"),
        ("г. Алматы, Бостандыкский район, ул. Тимирязева 42", "Бостандыкский"),
    ],
)
def test_district_named_or_implied_by_the_address(written, district):
    assert gazetteer.address_parse(written).district == district


@pytest.mark.parametrize(
    "written",
    [
        "Невский проспект, 28",  # a street in the Central district, not the Nevsky district
        "ул. Пушкина, 5",
        "Петергофское шоссе, 3",
        "ул. Абая, 1",
    ],
)
def test_street_names_are_not_taken_for_districts(written):
    assert gazetteer.address_parse(written).district is None


def test_appeal_with_a_point_teaches_the_house_and_a_later_address_only_appeal_finds_it(
    citizen, tiny_model, django_capture_on_commit_callbacks
):
    first = services.appeal_submit(
        actor=citizen,
        text="Сломана скамейка у дома",
        lat=REAL_POINT[0],
        lon=REAL_POINT[1],
        address=REAL,
        language="ru",
    )
    assert first.place_status == "point" and first.district  # the model's district at the point
    house = AddressPoint.objects.get(street="мебельная", house="47к1")
    assert house.samples == [[REAL_POINT[0], REAL_POINT[1], first.district]]
    assert house.locality == "Санкт-Петербург"
    response = api(citizen).post(
        "/api/v1/appeals",
        {
            "text": "Яма у подъезда",
            "address": "ул. Мебельная, д. 47 к. 1",
            "language": "ru",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["place_status"] == "street" and body["place_note"] is None
    assert (body["lat"], body["lon"]) == pytest.approx(REAL_POINT)
    assert body["district"] == first.district
    # Approximate points are never learned from: the house still has one sample.
    assert len(AddressPoint.objects.get(street="мебельная", house="47к1").samples) == 1


def test_median_of_several_points_and_disagreement_resolves_to_nothing(citizen, orgs):
    for dlat in (0.0, 0.0001, -0.0001, 0.0002):
        gazetteer.gazetteer_learn(
            address="ул. Садовая, д. 10", lat=SPB[0] + dlat, lon=SPB[1], district="Центральный"
        )
    place = gazetteer.address_resolve("Садовая улица, 10")
    assert place.status == "street" and place.district == "Центральный"
    assert place.lat == pytest.approx(SPB[0] + 0.00005)
    # The same street and house in another city (both inside the jurisdiction): without a city
    # the points no longer agree, so no house is taken (the street's districts still agree).
    for _ in range(4):
        gazetteer.gazetteer_learn(
            address="Астана, Садовая улица, дом 10", lat=51.1282, lon=71.4304, district=None
        )
    assert gazetteer.address_resolve("Садовая ул., 10").status == "district"
    # Naming the city picks that city's house; another city falls back to those learned
    # without a city.
    astana = gazetteer.address_resolve("Астана, Садовая ул., 10")
    assert astana.status == "street" and astana.lat == pytest.approx(51.1282)
    spb = gazetteer.address_resolve("Санкт-Петербург, Садовая ул., 10")
    assert spb.status == "street" and spb.lat == pytest.approx(SPB[0] + 0.00005)


def test_a_street_names_its_district_once_its_appeals_agree(orgs):
    for house, district in ((1, "Фрунзенский"), (5, "Фрунзенский"), (9, "Фрунзенский")):
        gazetteer.gazetteer_learn(
            address=f"ул. Белы Куна, {house}", lat=59.87, lon=30.37, district=district
        )
    place = gazetteer.address_resolve("улица Белы Куна")  # no house number
    assert (place.status, place.district, place.lat) == ("district", "Фрунзенский", None)
    gazetteer.gazetteer_learn(
        address="ул. Белы Куна, 20", lat=59.9, lon=30.4, district="Московский"
    )
    assert gazetteer.address_resolve("улица Белы Куна").status == "unresolved"  # 3 of 4 < 80%


def test_district_from_the_address_without_a_point(citizen, orgs):
    appeal = services.appeal_submit(
        actor=citizen,
        text="Нет света во дворе",
        address="Невский район, ул. Новоселов 1",
        language="ru",
    )
    assert (appeal.place_status, appeal.district, appeal.lat) == ("district", "Невский", None)
    town = services.appeal_submit(
        actor=citizen, text="Нет света во дворе", address="город Кронштадт, Советская улица"
    )
    assert (town.place_status, town.district) == ("district", "Кронштадтский")


def test_unresolved_address_is_accepted_flagged_and_the_citizen_told(
    citizen, triager, broken_model, django_capture_on_commit_callbacks
):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/appeals/new/", {"text": "Яма на дороге", "address": "ул. Абая, 1"}, follow=True
        )
    assert response.status_code == 200
    appeal = Appeal.objects.get()
    assert (appeal.place_status, appeal.district, appeal.lat) == ("unresolved", None, None)
    page = response.content.decode()
    assert "We could not find this address on our map" in page  # the message after submitting
    assert "registered as No. " + appeal.number in page
    assert AppealEvent.objects.filter(appeal=appeal, action="place_not_resolved").exists()
    triage = Client(HTTP_ACCEPT_LANGUAGE="en")
    triage.force_login(triager)
    queue = triage.get("/backoffice/appeals/triage/").content.decode()
    assert appeal.number in queue and "Place not resolved" in queue
    case = triage.get(f"/backoffice/appeals/{appeal.pk}/").content.decode()
    assert "Place not resolved" in case
    ru = api(citizen)
    ru.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    body = ru.get(f"/api/v1/appeals/{appeal.pk}").json()
    assert body["place_status"] == "unresolved"
    assert body["place_note"].startswith("Мы не нашли этот адрес")


def test_an_unresolved_place_is_never_routed_automatically(
    citizen, tiny_model, ai_admin, django_capture_on_commit_callbacks
):
    from qyzmet.appeals.demo import _model_org_labels, organisations_ensure

    organisations_ensure(extra_labels=_model_org_labels(tiny_model.metadata))
    for code in services.appeals_pack().categories:
        services.threshold_set(actor=ai_admin, category=code, threshold=0.0)
    with django_capture_on_commit_callbacks(execute=True):
        appeal = services.appeal_submit(
            actor=citizen,
            text="Во дворе огромная яма, машины не проезжают",
            address="где-то у большой ямы",
            language="ru",
        )
    suggestion = RoutingSuggestion.objects.get(appeal=appeal)
    # The model was sure and named both: only the unknown place kept the appeal for a person.
    assert suggestion.organisation_code and suggestion.category and not suggestion.error
    assert not suggestion.auto_routed
    appeal.refresh_from_db()
    assert appeal.status == "registered" and appeal.organisation_code is None


def test_a_known_house_outside_the_jurisdiction_is_refused_and_nothing_stored(citizen, orgs):
    AddressPoint.objects.create(
        street="риволи",
        house="1",
        samples=[[48.8606, 2.3376, None]],
        lat=48.8606,
        lon=2.3376,
        count=1,
    )
    response = api(citizen).post(
        "/api/v1/appeals",
        {"text": "Яма", "address": "ул. Риволи, 1"},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "outside_jurisdiction" and body["errors"][0]["pointer"] == "/address"
    assert Appeal.objects.count() == 0


def _records() -> list[dict]:
    return [
        {
            "address": "г.Санкт-Петербург, Мебельная улица, дом 47, корпус 1, литера А",
            "lat": "59.9943342",
            "lon": "30.1971070",
            "district": "Приморский",
        },
        {
            "address": "г.Санкт-Петербург, Мебельная улица, дом 47, корпус 1, литера А",
            "lat": "59.9943350",
            "lon": "30.1971080",
            "district": "Приморский",
        },
        {
            "address": "город Колпино, улица Машиностроителей, дом 12, литера А",
            "lat": "59.7352618",
            "lon": "30.5701918",
            "district": "Колпинский",
        },
        {"address": "Paris, rue de Rivoli 1", "lat": 48.86, "lon": 2.33, "district": None},
        {"address": "", "lat": 59.9, "lon": 30.3, "district": "Центральный"},
    ]


def test_demo_loader_fills_the_gazetteer_and_loading_again_changes_nothing(tmp_path, capsys):
    path = tmp_path / "places.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in _records())
    call_command("appeals_demo", gazetteer=str(path))
    assert "Address gazetteer: 3 appeals → 2 houses, 2 streets" in capsys.readouterr().out
    first = sorted(
        AddressPoint.objects.values_list(
            "locality", "street", "house", "lat", "lon", "district", "count"
        )
    )
    call_command("appeals_demo", gazetteer=str(path))
    again = sorted(
        AddressPoint.objects.values_list(
            "locality", "street", "house", "lat", "lon", "district", "count"
        )
    )
    assert again == first
    # The demo's own appeals came with points and addresses, and taught the gazetteer too.
    assert AddressPoint.objects.filter(street="невский", house="28").exists()
    place = gazetteer.address_resolve("Колпино, ул. Машиностроителей, 12")
    assert (place.status, place.district) == ("street", "Колпинский")
    assert gazetteer.address_resolve("Мебельная ул., 47 к1").lat == pytest.approx(59.9943346)


def test_real_addresses_time_split(capsys, appeals_data):
    """Learn from the earlier 80 % of the real appeals that have an address, then place the
    later 20 % from their address alone: most are found, in the right district."""
    with gzip.open(appeals_data, "rt", encoding="utf-8") as fh:
        rows = [r for r in map(json.loads, fh) if r.get("address") and r.get("lat")]
    rows.sort(key=lambda r: r["created"])
    cut = int(len(rows) * 0.8)
    loaded = gazetteer.gazetteer_load(rows[:cut])
    assert loaded["records"] > 0.95 * cut
    later = rows[cut:]
    found = right = 0
    for row in later:
        place = gazetteer.address_resolve(row["address"])
        if place.status == "street":
            found += 1
            right += place.district == row["district"]
    share, accuracy = found / len(later), right / max(found, 1)
    with capsys.disabled():
        print(
            f"\ngazetteer time split: {len(later)} later addresses, {share:.1%} placed at a "
            f"known house, district right for {accuracy:.1%}"
        )
    assert share >= 0.5 and accuracy >= 0.97


def test_learning_keeps_a_bounded_number_of_points(orgs):
    for i in itertools.islice(itertools.count(), gazetteer.SAMPLES_MAX + 5):
        gazetteer.gazetteer_learn(
            address="ул. Седова, 10", lat=59.9 + i * 1e-6, lon=30.4, district=None
        )
    row = AddressPoint.objects.get(street="седова", house="10")
    assert len(row.samples) == gazetteer.SAMPLES_MAX and row.count == gazetteer.SAMPLES_MAX + 5
    assert AddressPoint.objects.get(street="седова", house="").count == gazetteer.SAMPLES_MAX + 5


def test_a_point_without_a_model_takes_the_district_from_its_address_but_does_not_teach_it(
    citizen, orgs
):
    appeal = services.appeal_submit(
        actor=citizen,
        text="Нет света",
        lat=SPB[0],
        lon=SPB[1],
        address="Невский район, ул. Седова, 10",
    )
    assert (appeal.place_status, appeal.district) == ("point", "Невский")
    # Only the point's own district is learned: there was none (no model).
    assert AddressPoint.objects.get(street="седова", house="10").samples == [[SPB[0], SPB[1], None]]
