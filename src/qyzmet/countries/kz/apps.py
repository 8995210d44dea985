from django.apps import AppConfig


class KzConfig(AppConfig):
    name = "qyzmet.countries.kz"
    label = "kz"
    verbose_name = "Kazakhstan country pack"

    def ready(self) -> None:
        # Registers the deploy checks on demo data (qyzmet.E006, qyzmet.E007).
        from qyzmet.core.identifiers import IdentifierRules, identifier_rules_register

        from . import checks  # noqa: F401
        from .identifiers import bin_validate, iin_validate

        # The platform checks IINs and BINs through core; the rules are Kazakhstan's.
        identifier_rules_register(IdentifierRules(iin=iin_validate, bin=bin_validate))
