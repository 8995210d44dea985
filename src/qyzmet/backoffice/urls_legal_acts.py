"""Open legal acts, the agency's side (mounted at /backoffice/open/legal-acts/)."""

from django.urls import path

from . import views_legal_acts as v

urlpatterns = [
    path("", v.acts, name="bo-legal-acts"),
    path("new/", v.act_new, name="bo-legal-act-new"),
    path("<int:act_id>/", v.act_page, name="bo-legal-act"),
    path("<int:act_id>/edit/", v.act_edit, name="bo-legal-act-edit"),
    path("<int:act_id>/publish/", v.act_publish, name="bo-legal-act-publish"),
    path("<int:act_id>/comments/<int:comment_id>/moderate/", v.comment_moderate,
         name="bo-legal-act-moderate"),
    path("<int:act_id>/comments/<int:comment_id>/answer/", v.comment_answer,
         name="bo-legal-act-answer"),
    path("<int:act_id>/summary/", v.summary_publish, name="bo-legal-act-summary"),
]
