"""With DEBUG off an exception in a view gives a plain 500 page in kk/ru/en or, under /api/, a
problem+json body — never a traceback, never settings. The production settings refuse DEBUG."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.http import HttpRequest
from django.test import Client, RequestFactory

from qyzmet.api.api import api

from .boom_urls import SECRET_IN_EXCEPTION
from .test_production_and_cli import GOOD, ROOT, _check

LEAKS = (SECRET_IN_EXCEPTION, "Traceback", "RuntimeError", "SECRET_KEY", "settings", "boom_urls")

PAGE_TITLES = {"kk": "Сервер қатесі", "ru": "Ошибка сервера", "en": "Server error"}


def _client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.urls("tests.settings.boom_urls")
@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_failing_page_answers_a_plain_500_in_the_visitors_language(settings, language):
    settings.DEBUG = False
    response = _client().get("/boom/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert PAGE_TITLES[language] in body and f'lang="{language}"' in body
    for leak in LEAKS:
        assert leak not in body


@pytest.mark.urls("tests.settings.boom_urls")
def test_a_failing_api_operation_answers_problem_json(settings):
    settings.DEBUG = False
    response = _client().get("/api/test-boom/fail")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 500 and problem["code"] == "server_error"
    assert problem["instance"] == "/api/test-boom/fail"
    for leak in LEAKS:
        assert leak not in response.content.decode()


def test_the_platform_api_lets_an_unexpected_error_reach_the_500_handler(settings):
    """The real API's exception handling with DEBUG off: no traceback body of its own (with
    DEBUG on, django-ninja answers the traceback as text, which the demo may show)."""
    settings.DEBUG = False
    request: HttpRequest = RequestFactory().get("/api/v1/catalog/services")
    try:
        response = api.on_exception(request, RuntimeError(SECRET_IN_EXCEPTION))
    except RuntimeError:
        return  # re-raised: Django's handler500 answers (tested above)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    for leak in LEAKS:
        assert leak not in response.content.decode()


_PRODUCTION_REQUEST = """
import json, django
django.setup()
from django.test import Client
from django.test.utils import override_settings
with override_settings(ROOT_URLCONF="tests.settings.boom_urls"):
    client = Client(raise_request_exception=False)
    out = {}
    for path in ("/boom/", "/api/test-boom/fail"):
        r = client.get(path, HTTP_ACCEPT_LANGUAGE="ru", secure=True)
        out[path] = [r.status_code, r["Content-Type"], r.content.decode()]
print(json.dumps(out))
"""


def test_under_the_production_settings_a_500_shows_no_internals(tmp_path):
    """The real production settings, in a process of their own (DEBUG off there by force)."""
    env = {**GOOD, "QYZMET_ALLOWED_HOSTS": "testserver",
           "QYZMET_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QYZMET_")}
    result = subprocess.run(
        [sys.executable, "-c", _PRODUCTION_REQUEST],
        env={**clean, "DJANGO_SETTINGS_MODULE": "qyzmet.settings.production", **env},
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    status, content_type, body = answers["/boom/"]
    assert status == 500 and content_type.startswith("text/html")
    assert PAGE_TITLES["ru"] in body
    status, content_type, body = answers["/api/test-boom/fail"]
    assert status == 500 and content_type == "application/problem+json"
    assert json.loads(body)["code"] == "server_error"
    for _path, (_s, _c, text) in answers.items():
        for leak in (*LEAKS, GOOD["QYZMET_SECRET_KEY"]):
            assert leak not in text
    # The traceback goes to the log (stderr), where operators look for it.
    assert SECRET_IN_EXCEPTION in result.stderr


def test_production_settings_refuse_debug_on():
    result = _check({**GOOD, "QYZMET_DEBUG": "1"})
    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr
