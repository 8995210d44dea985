from django.urls import path

from qyzmet.portal import views_budgets

urlpatterns: list = [
    path("", views_budgets.index, name="budgets"),
    path("<slug:agency>/<int:year>/", views_budgets.year, name="budgets-year"),
    path("<slug:agency>/<int:year>/chart.png", views_budgets.year_chart, name="budgets-year-chart"),
    path("<slug:agency>/<int:year>/package.zip", views_budgets.package, name="budgets-package"),
    path(
        "<slug:agency>/programmes/<slug:code>/", views_budgets.programme, name="budgets-programme"
    ),
    path(
        "<slug:agency>/programmes/<slug:code>/chart.png",
        views_budgets.programme_chart,
        name="budgets-programme-chart",
    ),
]
