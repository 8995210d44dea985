"""The agencies' side of open government, one module per component."""

from django.urls import include, path

urlpatterns = [
    path("data/", include("qyzmet.backoffice.urls_opendata")),
    path("legal-acts/", include("qyzmet.backoffice.urls_legal_acts")),
    path("dialogue/", include("qyzmet.backoffice.urls_dialogue")),
    path("budgets/", include("qyzmet.backoffice.urls_budgets")),
]
