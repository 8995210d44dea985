"""Appeals on a map: the district outlines shipped with the country pack (valid GeoJSON, one
polygon set per district, names in three languages, said to be approximate, and actually where
the appeals of each district are), address search through the gazetteer, the form that works
without JavaScript, the officer moving a point with a reason the citizen reads, and the CSP that
lets in a configured tile server only on map pages."""

from __future__ import annotations

import gzip
import itertools
import json
import re

import pytest
from django.core.cache import cache
from django.test import Client

from qyzmet.appeals import gazetteer, maps, services
from qyzmet.appeals.config import appeals_pack
from qyzmet.appeals.models import Appeal, AppealEvent
from qyzmet.audit.models import AuditEntry
from qyzmet.core.problem import Problem

from .conftest import DATA, ORG, SPB

SPB_DISTRICTS = {
    "Адмиралтейский", "Василеостровский", "Выборгский", "Калининский", "Кировский",
    "Колпинский", "Красногвардейский", "Красносельский", "Кронштадтский", "Курортный",
    "Московский", "Невский", "Петроградский", "Петродворцовый", "Приморский", "Пушкинский",
    "Фрунзенский", "Центральный",
}  # fmt: skip


def _ring_ok(ring) -> bool:
    return (
        len(ring) >= 4
        and ring[0] == ring[-1]
        and all(len(p) == 2 and all(isinstance(c, float | int) for c in p) for p in ring)
    )


def test_outlines_are_valid_geojson_one_feature_per_district_with_three_names():
    path = maps.outlines_path()
    assert path.stat().st_size < 300 * 1024
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert data["properties"]["approximate"] is True
    assert set(data["properties"]["note"]) == {"kk", "ru", "en"}
    pack = appeals_pack()
    box = next(b for b in pack.jurisdiction if "Petersburg" in b.name)
    names = [f["properties"]["district"] for f in data["features"]]
    assert sorted(names) == sorted(SPB_DISTRICTS)  # each once
    for feature in data["features"]:
        props = feature["properties"]
        assert props["approximate"] is True
        district = next(d for d in pack.districts if d.name == props["district"])
        assert props["names"] == {lang: district.names[lang] for lang in ("kk", "ru", "en")}
        geometry = feature["geometry"]
        assert geometry["type"] in ("Polygon", "MultiPolygon")
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else (
            geometry["coordinates"])  # fmt: skip
        assert polygons
        for polygon in polygons:
            assert all(_ring_ok(ring) for ring in polygon)
            for lon, lat in polygon[0]:
                assert box.contains(lat, lon)


@pytest.mark.skipif(not DATA.exists(), reason="the St Petersburg appeals file is not here")
def test_outlines_hold_most_appeals_of_their_own_district():
    """The outlines were drawn from these points: most points must lie in their own district
    and few in none (a partition that is wrong or shifted fails this)."""
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in itertools.islice(fh, 0, 40000, 20)]
    own = outside = 0
    for r in records:
        found = maps.outline_district_at(float(r["lat"]), float(r["lon"]))
        own += found == r["district"]
        outside += found is None
    assert own / len(records) >= 0.85
    assert outside / len(records) <= 0.05
    assert maps.outline_district_at(48.8566, 2.3522) is None  # Paris is nowhere


def test_outlines_are_served_to_the_map(client):
    response = client.get("/appeals/map/districts.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert len(json.loads(response.content)["features"]) == len(SPB_DISTRICTS)


# --- address search ---------------------------------------------------------------------------


@pytest.fixture
def learned(db):
    gazetteer.gazetteer_load([
        {"address": "Санкт-Петербург, Мебельная улица, дом 47, корпус 1", "lat": 59.99433,
         "lon": 30.19711, "district": "Приморский"},
        {"address": "ул. Мебельная, д. 47, к. 1", "lat": 59.99435, "lon": 30.19705,
         "district": "Приморский"},
        {"address": "Мебельная ул., 12", "lat": 59.99001, "lon": 30.20102,
         "district": "Приморский"},
        {"address": "ул. Седова, 10", "lat": 59.8912, "lon": 30.4101, "district": "Невский"},
    ])  # fmt: skip


def _signed_in(user, lang: str = "kk") -> Client:
    web = Client(HTTP_ACCEPT_LANGUAGE=lang)
    web.force_login(user)
    return web


@pytest.mark.django_db
def test_search_needs_a_signed_in_person(client, learned):
    response = client.get("/appeals/places/", {"q": "Мебельная 47"})
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_search_finds_a_learned_house_and_streets_in_the_page_language(citizen, learned):
    web = _signed_in(citizen, "kk")
    data = web.get("/appeals/places/", {"q": "Мебельная 47 к1"}).json()
    first = data["results"][0]
    assert set(first) == {"label", "lat", "lon", "district", "kind"}  # nothing about people
    assert first["kind"] == "house" and first["label"].startswith("Мебельная, 47к1")
    assert abs(first["lat"] - 59.99434) < 1e-4 and abs(first["lon"] - 30.19708) < 1e-4
    assert first["district"] == "Приморский ауданы"
    # The start of a street lists its houses.
    houses = web.get("/appeals/places/", {"q": "ул. Мебельн"}).json()["results"]
    assert {h["label"].split(",")[1].strip() for h in houses} == {"47к1", "12"}
    in_english = _signed_in(citizen, "en").get("/appeals/places/", {"q": "Седова 10"}).json()
    assert in_english["results"][0]["district"] == "Nevsky District"


@pytest.mark.django_db
def test_search_by_district_goes_to_its_outline_and_nonsense_finds_nothing(citizen, learned):
    web = _signed_in(citizen, "ru")
    result = web.get("/appeals/places/", {"q": "Невский район"}).json()["results"]
    assert [(r["kind"], r["district"]) for r in result] == [("district", "Невский район")]
    assert maps.outline_district_at(result[0]["lat"], result[0]["lon"]) == "Невский"
    assert web.get("/appeals/places/", {"q": "qqqzzz 999"}).json() == {"results": []}
    assert web.get("/appeals/places/", {"q": "М"}).json() == {"results": []}


@pytest.mark.django_db
def test_search_is_rate_limited_per_person(citizen, learned, settings):
    cache.clear()
    web = _signed_in(citizen)
    codes = [web.get("/appeals/places/", {"q": "Седова 10"}).status_code for _ in range(61)]
    assert codes[:60] == [200] * 60 and codes[60] == 429
    cache.clear()


# --- the citizen's form without JavaScript -----------------------------------------------------


@pytest.mark.django_db
def test_form_without_javascript_has_address_and_coordinates_and_no_inline_code(citizen):
    web = _signed_in(citizen)
    page = web.get("/appeals/new/")
    html = page.content.decode()
    # The boxes are there and not hidden; the map and its search are hidden until JS runs.
    for box in ('id="address"', 'id="lat"', 'id="lon"'):
        assert box in html
    assert re.search(r'<div id="coords" class="coords">', html)
    assert re.search(r'<div class="appeal-map" data-appeal-map hidden', html)
    assert re.search(r'<div class="map-search" data-map-only hidden>', html)
    assert "/static/leaflet/leaflet.js" in html and "/static/appeals/map.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
    assert " style=" not in html and "<style" not in html
    assert "img-src 'self' data:;" in page["Content-Security-Policy"]


@pytest.mark.django_db
def test_form_posts_a_point_and_the_page_says_where_it_went(citizen, orgs):
    web = _signed_in(citizen, "en")
    done = web.post("/appeals/new/", {
        "text": "Яма на дороге во дворе", "address": "Невский проспект, 28",
        "lat": f"{SPB[0]}", "lon": f"{SPB[1]}", "category": "",
    }, follow=True)  # fmt: skip
    assert done.status_code == 200
    appeal = Appeal.objects.get(citizen=citizen)
    assert (appeal.lat, appeal.lon, appeal.place_status) == (SPB[0], SPB[1], "point")
    html = done.content.decode()
    assert html.count(f"Your appeal is registered as No. {appeal.number}.") == 1
    assert "Невский проспект, 28" in html and 'data-mode="view"' in html
    assert f'data-lat="{SPB[0]}"' in html


@pytest.mark.django_db
def test_bad_coordinates_keep_the_boxes_open(citizen):
    web = _signed_in(citizen, "en")
    page = web.post("/appeals/new/", {"text": "Яма", "lat": "north", "lon": "30.3"})
    assert page.status_code == 422
    html = page.content.decode()
    assert "Latitude and longitude must be numbers." in html
    assert 'data-fallback-id=""' in html and 'id="coords-toggle"' not in html


@pytest.mark.django_db
def test_citizen_page_shows_organisation_category_and_photos(citizen, triager):
    from .conftest import JPEG

    appeal = services.appeal_submit(
        actor=citizen, text="Яма на дороге", lat=SPB[0], lon=SPB[1], photos=[JPEG], language="en"
    )
    services.appeal_route(actor=triager, appeal_id=appeal.pk, organisation_code=ORG,
                          category=next(iter(appeals_pack().categories)))  # fmt: skip
    html = _signed_in(citizen, "en").get(f"/my/appeals/{appeal.pk}/").content.decode()
    category = next(iter(appeals_pack().categories.values())).name("en")
    assert category in html
    assert "Not sent yet" not in html
    assert "<dt>Sent to</dt><dd>Centre for Urban Improvement</dd>" in html
    assert html.count('<img src="/my/appeals/') == 1


# --- the officer moves the point ---------------------------------------------------------------


@pytest.mark.django_db
def test_officer_moves_the_point_with_a_reason_the_citizen_reads(citizen, triager):
    appeal = services.appeal_submit(actor=citizen, text="Яма", lat=SPB[0], lon=SPB[1],
                                    language="en")  # fmt: skip
    web = _signed_in(triager, "en")
    page = web.get(f"/backoffice/appeals/{appeal.pk}/").content.decode()
    assert 'data-mode="move"' in page and 'name="place_reason"' in page
    web.post(f"/backoffice/appeals/{appeal.pk}/act/", {
        "action": "place", "lat": "59.9400", "lon": "30.3200",
        "place_reason": "The pit is across the road",
    })  # fmt: skip
    appeal.refresh_from_db()
    assert (appeal.lat, appeal.lon) == (59.94, 30.32)
    event = AppealEvent.objects.get(appeal=appeal, action="place_moved")
    assert event.note == "59.934300, 30.335100 → 59.940000, 30.320000 — The pit is across the road"
    audit = AuditEntry.objects.get(action="appeal.place_moved", object_id=str(appeal.pk))
    assert audit.data["reason"] == "The pit is across the road"
    assert audit.data["before"]["lat"] == SPB[0]
    mine = _signed_in(citizen, "en").get(f"/my/appeals/{appeal.pk}/").content.decode()
    assert "Place on the map moved by an officer: 59.934300, 30.335100 → 59.940000" in mine
    with pytest.raises(Problem) as too_long:
        services.appeal_place_set(actor=triager, appeal_id=appeal.pk, lat=59.94, lon=30.32,
                                  reason="x" * 501)  # fmt: skip
    assert too_long.value.status == 422 and too_long.value.errors[0].pointer == "/reason"


# --- tiles and CSP -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_configured_tile_server_is_let_in_on_map_pages_only(citizen, settings):
    settings.QYZMET_MAP_TILES_URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    settings.QYZMET_MAP_TILES_ATTRIBUTION = "© OpenStreetMap contributors"
    web = _signed_in(citizen)
    page = web.get("/appeals/new/")
    assert "img-src 'self' data: https://*.tile.example.org;" in page["Content-Security-Policy"]
    assert 'data-tiles-url="https://{s}.tile.example.org/{z}/{x}/{y}.png"' in page.content.decode()
    other = web.get("/my/appeals/")
    assert "tile.example.org" not in other["Content-Security-Policy"]
    settings.QYZMET_MAP_TILES_URL = "javascript:alert(1)"
    assert maps.tiles()["url"] == ""


# --- the analytics hot-spot map ----------------------------------------------------------------


@pytest.mark.skipif(not DATA.exists(), reason="the St Petersburg appeals file is not here")
def test_hotspot_map_is_drawn_over_the_district_outlines_in_the_page_language(monkeypatch):
    from django.utils import translation

    from qyzmet.appeals import charts

    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        points = [
            (float(r["lat"]), float(r["lon"]))
            for r in map(json.loads, itertools.islice(fh, 0, 6000, 20))
        ]
    cache.clear()
    assert len(charts._outline_rings()) >= len(SPB_DISTRICTS)
    with translation.override("kk"):
        kk = charts.hotspots_png(points, "Ыстық нүктелер")
    with translation.override("en"):
        en = charts.hotspots_png(points, "Ыстық нүктелер")  # same title: only the axes differ
    monkeypatch.setattr(charts, "_outline_rings", lambda: [])
    cache.clear()
    with translation.override("kk"):
        bare = charts.hotspots_png(points, "Ыстық нүктелер")
    assert kk[:8] == b"\x89PNG\r\n\x1a\n"
    assert kk != en and kk != bare
    cache.clear()
