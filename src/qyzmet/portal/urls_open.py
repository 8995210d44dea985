"""Open government pages, one module per component (docs/open-government.md)."""

from django.urls import include, path

urlpatterns = [
    # Machine-readable files first (downloads, data packages, the DCAT-AP catalogue), then pages.
    path("open-data/", include("qyzmet.portal.urls_opendata_files")),
    path("open-data/", include("qyzmet.portal.urls_opendata")),
    path("agencies/performance/", include("qyzmet.portal.urls_performance")),
    path("legal-acts/", include("qyzmet.portal.urls_legal_acts")),
    path("dialogue/", include("qyzmet.portal.urls_dialogue")),
    path("budgets/", include("qyzmet.portal.urls_budgets")),
]
