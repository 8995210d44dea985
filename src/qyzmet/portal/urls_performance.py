from django.urls import path

from . import views_performance as v

urlpatterns = [
    path("", v.performance_index, name="performance"),
    path("method/", v.performance_method, name="performance-method"),
    path("<slug:slug>/", v.performance_agency, name="performance-agency"),
    path("<slug:slug>/<str:kind>.png", v.performance_chart, name="performance-chart"),
]
