"""A test urlconf: the platform's routes plus views that fail, with the platform's handler500."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from ninja import NinjaAPI

from qyzmet.urls import handler500
from qyzmet.urls import urlpatterns as platform_urlpatterns

SECRET_IN_EXCEPTION = "boom: internal detail that must never reach a client"


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET_IN_EXCEPTION)


boom_api = NinjaAPI(urls_namespace="test-boom")


@boom_api.get("/fail")
def api_boom(request: HttpRequest) -> dict:
    raise RuntimeError(SECRET_IN_EXCEPTION)


urlpatterns = [
    path("boom/", boom),
    path("api/test-boom/", boom_api.urls),
    *platform_urlpatterns,
]

__all__ = ["handler500", "urlpatterns"]
