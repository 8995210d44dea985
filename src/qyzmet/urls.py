from django.urls import include, path

from qyzmet.api.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("backoffice/", include("qyzmet.backoffice.urls")),
    path("", include("qyzmet.portal.urls_auth")),
    path("", include("qyzmet.portal.urls_verify")),
    path("", include("qyzmet.portal.urls_account")),
    path("", include("qyzmet.portal.urls_apply")),
    path("", include("qyzmet.portal.urls_catalog")),
]
