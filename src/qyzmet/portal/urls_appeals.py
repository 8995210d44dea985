from django.urls import path

from . import views_appeals as v

urlpatterns = [
    path("appeals/new/", v.appeal_new, name="appeal-new"),
    path("appeals/map/districts.geojson", v.map_outlines, name="appeals-map-outlines"),
    path("appeals/places/", v.place_search, name="appeals-place-search"),
    path("my/appeals/", v.my_appeals, name="my-appeals"),
    path("my/appeals/<int:appeal_id>/", v.my_appeal, name="my-appeal"),
    path("my/appeals/<int:appeal_id>/photos/<int:photo_id>/", v.my_appeal_photo,
         name="my-appeal-photo"),
    path("my/appeals/<int:appeal_id>/rate/", v.appeal_rate, name="my-appeal-rate"),
    path("my/appeals/<int:appeal_id>/reopen/", v.appeal_reopen, name="my-appeal-reopen"),
    path("algorithms/", v.algorithms, name="algorithms"),
    path("algorithms/confusion-matrix.png", v.algorithms_confusion, name="algorithms-confusion"),
]
