"""Analytics pictures cached by (chart, period, language, data version): a second load draws
nothing, a new appeal changes the version, the after-save precompute draws the pages people
looked at before anyone asks, and in the background mode the first load after a change is served
the newest drawing at once while the refresh runs in the worker thread."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qyzmet.appeals import chart_cache, selectors, services

from .conftest import SPB

pytestmark = pytest.mark.django_db
PAGE = "/backoffice/appeals/analytics/"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _submit(citizen, category="roof"):
    return services.appeal_submit(actor=citizen, text=f"Проблема: {category}", lat=SPB[0],
                                  lon=SPB[1], category=category, language="ru")  # fmt: skip


def _browser(officer, lang="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(officer)
    client.get("/backoffice/")  # the session's own first queries out of the way
    return client


def _load(client, path=PAGE, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200
    grouped = sum("GROUP BY" in q["sql"].upper() for q in queries)
    return response, grouped


def _svgs(response) -> list[str]:
    return re.findall(r"<svg .*?</svg>", response.content.decode(), flags=re.S)


def _total(response) -> str:
    return response.content.decode().split(" appeals in all.")[0].rsplit(" ", 1)[-1]


def test_second_load_draws_nothing_and_a_new_appeal_is_shown(citizen, officer):
    _submit(citizen)
    client = _browser(officer)
    first, grouped = _load(client)
    assert grouped == 4 and _total(first) == "1"  # drawn: the four GROUP BYs ran
    again, grouped = _load(client)
    assert grouped == 0 and _svgs(again) == _svgs(first)  # from the cache
    _submit(citizen, "housing")
    after, grouped = _load(client)
    assert grouped == 4 and _total(after) == "2"  # the version changed: drawn for it
    assert chart_cache.data_version() in str(cache.get(chart_cache._latest_key(
        "page", selectors.DEFAULT_PERIOD, "en"))[0])  # fmt: skip


def test_versions_languages_and_periods_are_kept_apart(citizen, officer):
    _submit(citizen)
    english, _g = _load(_browser(officer, "en"))
    russian, grouped = _load(_browser(officer, "ru"))
    assert grouped == 4 and _svgs(english) != _svgs(russian)  # drawn again in Russian
    # An unknown period is the default period: no new cache entry, nothing drawn.
    _r, grouped = _load(_browser(officer, "en"), period="x" * 50)
    assert grouped == 0


def test_chart_png_is_cached_and_follows_the_data(citizen, officer):
    _submit(citizen)
    client = _browser(officer)
    first, grouped = _load(client, "/backoffice/appeals/analytics/category.png")
    assert first["Content-Type"] == "image/png" and first.content.startswith(b"\x89PNG")
    assert grouped == 4
    again, grouped = _load(client, "/backoffice/appeals/analytics/category.png")
    assert grouped == 0 and again.content == first.content
    _submit(citizen, "housing")
    after, grouped = _load(client, "/backoffice/appeals/analytics/category.png")
    assert grouped == 4 and after.content != first.content


def test_after_save_precompute_draws_before_anyone_asks(
    citizen, officer, settings, django_capture_on_commit_callbacks
):
    settings.QYZMET_CHART_PRECOMPUTE = True
    _submit(citizen)
    client = _browser(officer)
    _load(client)
    with django_capture_on_commit_callbacks(execute=True):
        _submit(citizen, "housing")
    version = chart_cache.data_version()
    assert cache.get(chart_cache._key("page", selectors.DEFAULT_PERIOD, "en", version)) is not None
    page, grouped = _load(client)
    assert grouped == 0 and _total(page) == "2"


@pytest.mark.django_db(transaction=True)
def test_background_mode_serves_the_newest_drawing_at_once_then_refreshes(
    citizen, officer, settings
):
    settings.QYZMET_CHART_REFRESH = "thread"
    _submit(citizen)
    client = _browser(officer)
    _load(client)
    _submit(citizen, "housing")  # committed: the worker thread's connection sees it
    stale, grouped = _load(client)
    assert grouped == 0 and _total(stale) == "1"  # no drawing in the request
    chart_cache.drain()
    fresh, grouped = _load(client)
    assert grouped == 0 and _total(fresh) == "2"  # drawn by the worker thread
