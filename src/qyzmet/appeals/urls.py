"""Open311 GeoReport v2, mounted at /open311/v2/."""

from django.urls import path, register_converter

from . import open311

register_converter(open311.FmtConverter, "o311fmt")
register_converter(open311.IdConverter, "o311id")

urlpatterns = [
    path("services.<o311fmt:fmt>", open311.services_list, name="open311-services"),
    path("services/<o311id:code>.<o311fmt:fmt>", open311.service_definition,
         name="open311-service"),
    path("requests.<o311fmt:fmt>", open311.requests_view, name="open311-requests"),
    path("requests/<o311id:request_id>.<o311fmt:fmt>", open311.request_detail,
         name="open311-request"),
    path("tokens/<o311id:token>.<o311fmt:fmt>", open311.token_detail, name="open311-token"),
]
