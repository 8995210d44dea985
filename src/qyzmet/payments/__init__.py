"""Payments: the fee of a service, paid on a provider's hosted page or by reference at a bank,
refunded under four eyes and reconciled against settlement reports and bank statements
(docs/payments.md). Amounts are integers in the currency's minor unit (tiyn); never a float."""
