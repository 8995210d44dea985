from django.urls import path

from . import views_payments as v

urlpatterns = [
    path("my/payments/", v.my_payments, name="my-payments"),
    path("my/payments/<uuid:public_id>/", v.my_payment, name="my-payment"),
    path("my/payments/<uuid:public_id>/card/", v.my_payment_card, name="my-payment-card"),
    path("my/payments/<uuid:public_id>/invoice/", v.my_payment_invoice, name="my-payment-invoice"),
    path("my/payments/<uuid:public_id>/return/", v.my_payment_return, name="my-payment-return"),
    path(
        "my/payments/<uuid:public_id>/receipt.pdf",
        v.my_payment_receipt,
        name="my-payment-receipt",
    ),
]
