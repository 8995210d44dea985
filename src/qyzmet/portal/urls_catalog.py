from django.urls import path

from . import views_catalog

urlpatterns = [
    path("", views_catalog.home, name="home"),
    path("services/", views_catalog.service_list, name="service-list"),
    path("services/<str:code>/", views_catalog.service_detail, name="service-detail"),
]
