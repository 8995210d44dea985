from django.urls import path

from . import views_data_tracker

urlpatterns = [
    path("my/data/", views_data_tracker.my_data_view, name="my-data"),
]
