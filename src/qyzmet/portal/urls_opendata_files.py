"""Machine-readable open-data files, mounted at /open-data/ before the pages: a version's
downloads and Data Package descriptor (permanent, cacheable), the newest version's aliases, and
the DCAT-AP catalogue (docs/open-government.md, "Open data API")."""

from django.urls import path

from . import views_opendata_files as views

urlpatterns = [
    path("catalog.jsonld", views.dcat_catalog, {"fmt": "jsonld"}, name="opendata-dcat-jsonld"),
    path("catalog.ttl", views.dcat_catalog, {"fmt": "ttl"}, name="opendata-dcat-ttl"),
    path(
        "<slug:name>/v<int:number>/data.<str:fmt>",
        views.resource_download,
        name="opendata-download",
    ),
    path(
        "<slug:name>/v<int:number>/datapackage.json",
        views.datapackage,
        name="opendata-datapackage",
    ),
    path(
        "<slug:name>/latest/data.<str:fmt>",
        views.resource_download_latest,
        name="opendata-download-latest",
    ),
    path(
        "<slug:name>/latest/datapackage.json",
        views.datapackage_latest,
        name="opendata-datapackage-latest",
    ),
]
