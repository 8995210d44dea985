"""The CKAN-compatible Action API, mounted at /api/3/ (docs/open-government.md)."""

from django.urls import path

from . import ckan

urlpatterns = [
    path("", ckan.api_root, name="ckan-root"),
    path("action/", ckan.api_root, name="ckan-action-root"),
    path("action/<str:action>", ckan.action, name="ckan-action"),
    path("openapi.json", ckan.openapi, name="ckan-openapi"),
]
