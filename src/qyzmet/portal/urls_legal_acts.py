"""Open legal acts (mounted at /legal-acts/): drafts for public comment."""

from django.urls import path

from . import views_legal_acts as v

urlpatterns = [
    path("", v.acts_list, name="legal-acts"),
    path("moderation-policy/", v.moderation_policy, name="legal-acts-policy"),
    path("<int:act_id>/", v.act_detail, name="legal-act"),
    path("<int:act_id>/diff/", v.act_diff, name="legal-act-diff"),
    path("<int:act_id>/summary.pdf", v.act_summary_pdf, name="legal-act-summary"),
]
