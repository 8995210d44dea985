from django.urls import path

from . import views

app_name = "pki"

urlpatterns = [
    path("ca/<slug:ca_code>.crt", views.ca_certificate, name="ca-certificate"),
    path("crl/<slug:ca_code>.crl", views.crl, name="crl"),
    path("ocsp", views.ocsp, name="ocsp"),
    path("ocsp/<path:encoded>", views.ocsp, name="ocsp-get"),
    path("tsa", views.tsa, name="tsa"),
]
