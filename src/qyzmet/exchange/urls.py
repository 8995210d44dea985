from django.urls import path

from . import views

urlpatterns = [
    path("listClients", views.list_clients, name="exchange-list-clients"),
    path("keys", views.keys, name="exchange-keys"),
    path("<path:rest>", views.call, name="exchange-call"),
]
