from django.urls import include, path

from qyzmet.api.api import api
from qyzmet.api.ckan import action as ckan_action
from qyzmet.ui.language_switch import form_language_switch_view

# DEBUG off: a plain page in kk/ru/en, problem+json under /api/; never a traceback.
handler500 = "qyzmet.core.errors.server_error"

urlpatterns = [
    path("i18n/keep/", form_language_switch_view, name="language-switch-keep"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    # CKAN-compatible Action API over the open data catalogue (docs/open-government.md).
    path("api/3/", include("qyzmet.api.urls_ckan")),
    # CKAN answers at /api/action/ too, and the ckanapi client calls that address.
    path("api/action/<str:action>", ckan_action, name="ckan-action-unversioned"),
    path("backoffice/appeals/", include("qyzmet.backoffice.urls_appeals")),
    path("backoffice/exchange/", include("qyzmet.backoffice.urls_exchange")),
    path("backoffice/ai/", include("qyzmet.backoffice.urls_ai")),
    path("backoffice/open/", include("qyzmet.backoffice.urls_open")),
    path("backoffice/finance/", include("qyzmet.backoffice.urls_finance")),
    path("backoffice/", include("qyzmet.backoffice.urls")),
    path("r1/", include("qyzmet.exchange.urls")),
    path("data/", include("qyzmet.registries.change_events.urls")),
    path("data/", include("qyzmet.registries.govstack.urls")),
    path("pki/", include("qyzmet.signatures.urls")),
    path("open311/v2/", include("qyzmet.appeals.urls")),
    path("", include("qyzmet.portal.urls_open")),
    path("", include("qyzmet.portal.urls_appeals")),
    path("", include("qyzmet.portal.urls_data_tracker")),
    path("", include("qyzmet.portal.urls_consent")),
    path("", include("qyzmet.portal.urls_auth")),
    path("", include("qyzmet.portal.urls_verify")),
    path("", include("qyzmet.portal.urls_sign")),
    path("", include("qyzmet.portal.urls_account")),
    path("", include("qyzmet.portal.urls_apply")),
    path("", include("qyzmet.portal.urls_payments")),
    path("", include("qyzmet.portal.urls_catalog")),
]
