"""Signing pages: confirm a prepared signature with the SMS code, download it, and check any
detached CMS signature. Included by the root URLconf at the site root."""

from django.urls import path

from . import views_sign

urlpatterns = [
    path("sign/verify/", views_sign.signature_verify, name="signature-verify"),
    path("sign/<str:request_id>/", views_sign.signature_confirm_page, name="signature-confirm"),
    path(
        "sign/<str:request_id>/signature.p7s",
        views_sign.signature_download,
        name="signature-download",
    ),
]
