"""Open311 `media_url`: stored, returned in requests.json/xml, fetched in the background (eager
here, as in the embedded mode) from a real local HTTP server and attached as a photo under the
same rules as uploads; a fetch that fails is recorded and the appeal kept. The guard against
server-side request forgery refuses private and loopback addresses unless a setting allows them
(as these tests do to reach their own server)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.test import Client

from qyzmet.appeals import media, services
from qyzmet.appeals.models import Appeal, AppealEvent
from qyzmet.appeals.tasks import media_fetch_sweep

from .conftest import PNG, SPB
from .factories import image_bytes

KEY = "test-open311-key"
SLOW_SECONDS = 2.0
BIG = image_bytes("PNG", (1, 1)) + b"\x00" * (5 * 1024 * 1024)


class _Handler(BaseHTTPRequestHandler):
    """A PNG, a non-image, a file over 5 MB (with and without Content-Length), a redirect, a
    redirect loop and a server error; every request is counted."""

    hits: list[str] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.path == "/photo.png":
            self._send(200, PNG, "image/png")
        elif self.path == "/slow.png":
            time.sleep(SLOW_SECONDS)
            self._send(200, PNG, "image/png")
        elif self.path == "/not-an-image.png":
            self._send(200, b"<html>surprise</html>", "image/png")
        elif self.path == "/fake.png":
            self._send(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "image/png")
        elif self.path == "/big.png":
            self._send(200, BIG, "image/png")
        elif self.path == "/big-no-length.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(BIG)
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/photo.png")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(503, b"busy", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def media_server() -> Iterator[str]:
    _Handler.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback_allowed(settings):
    """What the tests need to reach their own server; production keeps both off."""
    settings.QYZMET_MEDIA_FETCH_ALLOW_PRIVATE = True
    settings.QYZMET_MEDIA_FETCH_PORTS = None


def _post(endpoint: str, fmt: str = "json", **data):
    base = {
        "api_key": KEY,
        "service_code": "improvement",
        "lat": str(SPB[0]),
        "long": str(SPB[1]),
        "description": "Сломана скамейка в сквере",
    }
    return httpx.post(
        f"{endpoint}/requests.{fmt}",
        data={**base, **data},
        headers={"Accept-Language": "en"},
        timeout=30,
    )


@pytest.fixture
def endpoint(live_server, orgs):
    services.open311_key_issue(name="tests", raw=KEY)
    return f"{live_server.url}/open311/v2"


@pytest.mark.django_db(transaction=True)
def test_png_is_fetched_attached_and_returned(
    endpoint, media_server, loopback_allowed, officer, triager
):
    url = f"{media_server}/moved"  # a redirect to /photo.png, followed and checked
    response = _post(endpoint, media_url=url)
    assert response.status_code == 201, response.text
    number = response.json()[0]["service_request_id"]
    appeal = Appeal.objects.get(number=number)
    assert appeal.media_url == url and appeal.media_status == "fetched"
    photo = appeal.photos.get()
    assert (photo.source, photo.content_type, bytes(photo.content)) == (
        "media_url",
        "image/png",
        PNG,
    )
    assert _Handler.hits == ["/moved", "/photo.png"]
    assert AppealEvent.objects.filter(appeal=appeal, action="media_attached").exists()
    listed = httpx.get(f"{endpoint}/requests/{number}.json", timeout=20).json()
    assert listed[0]["media_url"] == url
    root = ET.fromstring(httpx.get(f"{endpoint}/requests.xml", timeout=20).content)  # noqa: S314
    assert root.find("request/media_url").text == url
    services.appeal_route(actor=triager, appeal_id=appeal.pk, organisation_code="spb-kb")
    client = Client()
    client.force_login(officer)
    assert client.get(f"/backoffice/appeals/{appeal.pk}/photos/{photo.pk}/").content == PNG


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/not-an-image.png", "not_image"),
        ("/fake.png", "not_image"),  # PNG's first bytes, but Pillow finds no image
        ("/big.png", "too_large: "),
        ("/big-no-length.png", "too_large: "),
        ("/loop", "too_many_redirects"),
        ("/gone", "http_status: 503"),
    ],
)
def test_failed_fetch_is_recorded_and_the_appeal_kept(
    endpoint, media_server, loopback_allowed, triager, path, error
):
    response = _post(endpoint, media_url=f"{media_server}{path}")
    assert response.status_code == 201, response.text
    appeal = Appeal.objects.get(number=response.json()[0]["service_request_id"])
    assert appeal.media_status == "failed" and appeal.media_error.startswith(error)
    assert appeal.photos.count() == 0
    assert AppealEvent.objects.filter(appeal=appeal, action="media_failed").exists()
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(triager)
    case = client.get(f"/backoffice/appeals/{appeal.pk}/").content.decode()
    assert "Не удалось прикрепить" in case


@pytest.mark.django_db(transaction=True)
def test_loopback_is_refused_without_the_setting_and_nothing_is_requested(
    endpoint, media_server, settings
):
    settings.QYZMET_MEDIA_FETCH_PORTS = None  # only the address rule is tested here
    port = media_server.rsplit(":", 1)[1]
    for url in (
        f"{media_server}/photo.png",
        f"http://localhost:{port}/photo.png",
        f"http://[::ffff:127.0.0.1]:{port}/photo.png",
    ):
        response = _post(endpoint, media_url=url)
        assert response.status_code == 201, response.text
        appeal = Appeal.objects.get(number=response.json()[0]["service_request_id"])
        assert appeal.media_status == "failed", url
        assert appeal.media_error.startswith("address_not_allowed"), appeal.media_error
    assert _Handler.hits == []


@pytest.mark.django_db(transaction=True)
def test_ports_other_than_the_web_ones_are_refused(endpoint, media_server, settings):
    settings.QYZMET_MEDIA_FETCH_ALLOW_PRIVATE = True  # the port rule alone
    response = _post(endpoint, media_url=f"{media_server}/photo.png")
    appeal = Appeal.objects.get(number=response.json()[0]["service_request_id"])
    assert appeal.media_error.startswith("port_not_allowed") and _Handler.hits == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/a.png",
        "file:///etc/passwd",
        "http://user:secret@example.org/a.png",
        "javascript:alert(1)",
        "https://" + "a" * 500 + ".org/x.png",
        "http:///nohost",
    ],
)
def test_a_bad_media_url_is_an_open311_error_and_nothing_stored(endpoint, url):
    for fmt in ("json", "xml"):
        response = _post(endpoint, fmt=fmt, media_url=url)
        assert response.status_code == 400, url
        if fmt == "json":
            body = response.json()
            assert body[0]["code"] == 400 and body[0]["description"].startswith("media_url: ")
        else:
            root = ET.fromstring(response.content)  # noqa: S314 (our own server)
            assert root.find("error/description").text.startswith("media_url: ")
    assert Appeal.objects.count() == 0


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # shared address space
        ("0.0.0.0", False),  # noqa: S104 (a value under test, not a bind)
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("2002:7f00:1::1", False),  # 6to4 carrying 127.0.0.1
    ],
)
def test_which_addresses_may_be_fetched(address, allowed):
    assert media.address_allowed(ipaddress.ip_address(address)) is allowed


@pytest.mark.django_db
def test_a_passing_failure_is_retried_later_and_a_lost_task_is_swept(
    citizen, orgs, media_server, loopback_allowed
):
    appeal = services.appeal_submit(
        actor=None,
        text="Сломана скамейка",
        lat=SPB[0],
        lon=SPB[1],
        source="open311",
        media_url=f"{media_server}/gone",
    )
    assert appeal.media_status == "pending"  # the task runs after commit
    assert services.appeal_media_fetch(appeal_id=appeal.pk, final=False) == "retry"
    appeal.refresh_from_db()
    assert appeal.media_status == "pending" and appeal.media_error == ""
    assert services.media_pending_ids(older_than=dt.timedelta(minutes=10)) == []
    Appeal.objects.filter(pk=appeal.pk).update(
        updated_at=appeal.updated_at - dt.timedelta(minutes=11),
        media_url=f"{media_server}/photo.png",
    )
    assert services.media_pending_ids(older_than=dt.timedelta(minutes=10)) == [appeal.pk]
    assert media_fetch_sweep() == 1  # eager here: the sweep's task fetches at once
    appeal.refresh_from_db()
    assert appeal.media_status == "fetched" and appeal.photos.count() == 1
    assert services.appeal_media_fetch(appeal_id=appeal.pk) == "skipped"  # idempotent
    assert appeal.photos.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_embedded_web_process_fetches_in_a_thread_of_its_own(
    endpoint, media_server, loopback_allowed, settings
):
    """With background work in the web process (the embedded default) the POST answers at once
    and the picture arrives shortly after, however slow the other server is."""
    settings.QYZMET_EMBEDDED_SCHEDULER = True
    started = time.monotonic()
    response = _post(endpoint, media_url=f"{media_server}/slow.png")
    answered_in = time.monotonic() - started
    assert response.status_code == 201, response.text
    assert answered_in < SLOW_SECONDS, answered_in
    appeal = Appeal.objects.get(number=response.json()[0]["service_request_id"])
    assert appeal.media_status == "pending"
    deadline = time.monotonic() + 20
    while appeal.media_status == "pending" and time.monotonic() < deadline:
        time.sleep(0.1)
        appeal.refresh_from_db()
    assert appeal.media_status == "fetched"
    assert bytes(appeal.photos.get().content) == PNG
