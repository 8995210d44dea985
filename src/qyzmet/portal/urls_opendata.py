from django.urls import path

from . import views_opendata as v

urlpatterns = [
    path("", v.dataset_list, name="opendata-list"),
    path("<slug:name>/", v.dataset_detail, name="opendata-dataset"),
]
