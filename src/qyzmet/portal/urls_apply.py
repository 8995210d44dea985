from django.urls import path

from . import views_apply

urlpatterns = [
    path("services/<str:code>/apply/", views_apply.apply, name="apply"),
    path("my/applications/", views_apply.my_applications, name="my-applications"),
    path("my/applications/<int:application_id>/", views_apply.my_application,
         name="my-application"),
    path("my/applications/<int:application_id>/answer/", views_apply.my_application_answer,
         name="my-application-answer"),
    path("my/applications/<int:application_id>/result.pdf", views_apply.my_application_result,
         name="my-application-result"),
]
