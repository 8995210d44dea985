from django.urls import path

from . import views_dialogue as v

urlpatterns = [
    path("", v.question_list, name="dialogue-list"),
    path("rules/", v.policy, name="dialogue-policy"),
    path("ask/", v.ask, name="dialogue-ask"),
    path("my/", v.mine, name="dialogue-mine"),
    path("agencies/<slug:organisation>/", v.agency, name="dialogue-agency"),
    path("questions/<int:question_id>/", v.question, name="dialogue-question"),
    path("questions/<int:question_id>/rate/", v.rate, name="dialogue-rate"),
    path("questions/<int:question_id>/same/", v.same, name="dialogue-same"),
]
