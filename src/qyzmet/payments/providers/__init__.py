"""Payment providers as plug-ins behind one interface (`base.PaymentProvider`), registered by
code with `@register` and looked up with `provider_get` (docs/payments.md, "Adding an acquirer")."""
