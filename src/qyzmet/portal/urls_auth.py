from django.urls import path

from . import views_auth

urlpatterns = [
    path("login/", views_auth.login_view, name="login"),
    path("login/code/", views_auth.login_code_view, name="login-code"),
    path("logout/", views_auth.logout_view, name="logout"),
]
