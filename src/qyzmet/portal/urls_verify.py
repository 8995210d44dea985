from django.urls import path

from . import views_verify

urlpatterns = [
    path("verify/<str:public_id>/", views_verify.document_verify, name="document-verify"),
]
