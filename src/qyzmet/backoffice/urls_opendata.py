from django.urls import path

from . import views_opendata as v

urlpatterns = [
    path("", v.datasets, name="bo-opendata"),
    path("upload/", v.upload, name="bo-opendata-upload"),
    path("<slug:name>/", v.dataset, name="bo-opendata-dataset"),
    path("<slug:name>/upload/", v.upload, name="bo-opendata-upload-version"),
]
