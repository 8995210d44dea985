"""The root URLconf plus the signing pages, until the lead includes `qyzmet.portal.urls_sign`
in `qyzmet.urls` (then this module can go)."""

from django.urls import include, path

from qyzmet.urls import urlpatterns as root

urlpatterns = [path("", include("qyzmet.portal.urls_sign")), *root]
