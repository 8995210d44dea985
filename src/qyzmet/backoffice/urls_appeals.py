from django.urls import path

from . import views_appeals as v

urlpatterns = [
    path("", v.inbox, name="bo-appeals-inbox"),
    path("triage/", v.triage, name="bo-appeals-triage"),
    path("analytics/", v.analytics, name="bo-appeals-analytics"),
    path("analytics/<slug:name>.png", v.chart, name="bo-appeals-chart"),
    path("<int:appeal_id>/", v.case, name="bo-appeal"),
    path("<int:appeal_id>/act/", v.act, name="bo-appeal-act"),
    path("<int:appeal_id>/photos/<int:photo_id>/", v.photo, name="bo-appeal-photo"),
]
