from django.urls import path

from . import views_apply

urlpatterns = [
    path("services/<str:code>/apply/", views_apply.apply, name="apply"),
    path("services/<str:code>/apply/check/", views_apply.apply_check, name="apply-check"),
    path(
        "services/<str:code>/apply/signed/<str:request_id>/",
        views_apply.apply_signed,
        name="apply-signed",
    ),
    path("my/applications/", views_apply.my_applications, name="my-applications"),
    path(
        "my/applications/<int:application_id>/", views_apply.my_application, name="my-application"
    ),
    path(
        "my/applications/<int:application_id>/submitted/",
        views_apply.my_application_submitted,
        name="my-application-submitted",
    ),
    path(
        "my/applications/<int:application_id>/answer/",
        views_apply.my_application_answer,
        name="my-application-answer",
    ),
    path(
        "my/applications/<int:application_id>/withdraw/",
        views_apply.my_application_withdraw,
        name="my-application-withdraw",
    ),
    path(
        "my/applications/<int:application_id>/result.pdf",
        views_apply.my_application_result,
        name="my-application-result",
    ),
    path(
        "my/applications/<int:application_id>/signatures/<str:request_id>/<str:part>",
        views_apply.my_application_signature,
        name="my-application-signature",
    ),
]
