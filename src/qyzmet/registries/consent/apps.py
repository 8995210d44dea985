from django.apps import AppConfig


class ConsentConfig(AppConfig):
    """Consent agreements and the person's consent records (their tables keep their
    `criminal_records_` names: see models.py)."""

    name = "qyzmet.registries.consent"
    label = "consent"
    verbose_name = "Consent to personal data use"
