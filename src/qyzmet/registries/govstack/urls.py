"""Mounted at /data/ (see qyzmet.urls): GovStack Digital Registries Data API 1.3.0 paths
`/data/{registryname}/{versionnumber}/…`, plus the facts endpoints and myPersonalDataUsage."""

from django.urls import path

from . import views

urlpatterns = [
    path("MyPersonalDataUsage/1.0", views.usage_gateway_view, name="govstack-usage"),
    path("my/personal-data-usage", views.usage_citizen_view, name="govstack-my-usage"),
    path("<slug:registry>/<str:version>", views.records_list_view, name="govstack-list"),
    path(
        "<slug:registry>/<str:version>/openapi.json",
        views.openapi_view,
        name="govstack-openapi",
    ),
    path("<slug:registry>/<str:version>/facts/<slug:fact>", views.fact_view, name="govstack-fact"),
    path(
        "<slug:registry>/<str:version>/<str:record_id>/read-value/<str:field>",
        views.read_value_view,
        name="govstack-read-value",
    ),
    path(  # the specification's spelling; the test suite's (and ours) is read-value
        "<slug:registry>/<str:version>/<str:record_id>/readValue/<str:field>",
        views.read_value_view,
        name="govstack-read-value-spec",
    ),
    path(
        "<slug:registry>/<str:version>/<str:record_id>/delete",
        views.record_delete_view,
        name="govstack-delete-record",
    ),
    path(
        "<slug:registry>/<str:version>/<str:operation>",
        views.operation_view,
        name="govstack-operation",
    ),
]
