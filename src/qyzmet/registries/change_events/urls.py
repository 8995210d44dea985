"""Included at /data/ (qyzmet.urls) before the GovStack Data API, whose
`<registry>/<version>/<operation>` would otherwise take `events`. The trailing slash is optional:
the gateway forwards a call to the service itself (`/r1/…/events`) as its base URL plus "/"."""

from django.urls import path

from . import views

urlpatterns = [
    path("<slug:registry>/<str:version>/events", views.events_view, name="registry-events"),
    path("<slug:registry>/<str:version>/events/", views.events_view),
]
