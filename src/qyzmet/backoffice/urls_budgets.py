from django.urls import path

from qyzmet.backoffice import views_budgets

urlpatterns: list = [
    path("", views_budgets.index, name="bo-budgets"),
    path("upload/", views_budgets.upload, name="bo-budgets-upload"),
]
