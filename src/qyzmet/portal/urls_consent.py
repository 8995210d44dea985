from django.urls import path

from . import views_consent

urlpatterns = [
    path("my/consents/", views_consent.my_consents_view, name="my-consents"),
    path(
        "my/consents/<slug:code>/give/", views_consent.my_consent_give_view, name="my-consent-give"
    ),
    path(
        "my/consents/<slug:code>/withdraw/",
        views_consent.my_consent_withdraw_view,
        name="my-consent-withdraw",
    ),
]
