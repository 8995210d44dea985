"""The finance desk, mounted at /backoffice/finance/ (docs/payments.md)."""

from django.urls import path

from . import views_finance as v

urlpatterns = [
    path("", v.payments, name="bo-finance"),
    path("payments.csv", v.export, name="bo-finance-export"),
    path("payments/<uuid:public_id>/", v.payment, name="bo-finance-payment"),
    path("payments/<uuid:public_id>/refund/", v.refund_request, name="bo-finance-refund-request"),
    path("refunds/", v.refunds, name="bo-finance-refunds"),
    path("refunds/<uuid:public_id>/decide/", v.refund_decide, name="bo-finance-refund-decide"),
    path("statements/", v.statements_index, name="bo-finance-statements"),
    path("statements/upload/", v.statement_upload, name="bo-finance-statement-upload"),
    path("statements/lines/", v.lines_open, name="bo-finance-lines"),
    path("statements/lines/<int:line_id>/", v.line, name="bo-finance-line"),
    path("statements/<int:statement_id>/", v.statement, name="bo-finance-statement"),
    path("reconciliation/", v.reconciliation, name="bo-finance-reconciliation"),
    path("reconciliation/run/", v.reconcile_now, name="bo-finance-reconcile"),
    path("reconciliation/<str:day>/", v.reconciliation_day, name="bo-finance-reconciliation-day"),
    path("revenue/", v.revenue, name="bo-finance-revenue"),
    path("revenue/<str:by>.png", v.revenue_chart, name="bo-finance-revenue-chart"),
]
