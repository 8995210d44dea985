from django.urls import path

from . import views_exchange as views

urlpatterns = [
    path("", views.rights, name="bo-exchange-rights"),
    path("grant/", views.grant, name="bo-exchange-grant"),
    path("revoke/", views.revoke, name="bo-exchange-revoke"),
]
