from django.urls import path

from . import views_dialogue as v

urlpatterns = [
    path("", v.inbox, name="bo-dialogue-inbox"),
    path("moderation/", v.moderation, name="bo-dialogue-moderation"),
    path("<int:question_id>/", v.question, name="bo-dialogue-question"),
    path("<int:question_id>/moderate/", v.moderate, name="bo-dialogue-moderate"),
    path("<int:question_id>/answer/", v.answer, name="bo-dialogue-answer"),
]
