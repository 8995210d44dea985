from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox, name="bo-inbox"),
    path("cases/<int:application_id>/", views.case, name="bo-case"),
    path("cases/<int:application_id>/act/", views.act, name="bo-act"),
    path("cases/<int:application_id>/decide/<str:request_id>/", views.decide_signed,
         name="bo-decide-signed"),
    path("cases/<int:application_id>/decided/<str:request_id>/", views.decided,
         name="bo-decided"),
    path("cases/<int:application_id>/signatures/<str:request_id>/<str:part>",
         views.case_signature, name="bo-case-signature"),
    path("cases/<int:application_id>/evidence/refetch/", views.evidence_refetch,
         name="bo-evidence-refetch"),
    path("cases/<int:application_id>/attachments/<int:attachment_id>/", views.attachment,
         name="bo-attachment"),
]
