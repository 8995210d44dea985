from django.apps import AppConfig


class KzConfig(AppConfig):
    name = "qyzmet.countries.kz"
    label = "kz"
    verbose_name = "Kazakhstan country pack"

    def ready(self) -> None:
        # Registers the deploy checks on demo data (qyzmet.E006, qyzmet.E007).
        from qyzmet.core.demo_cast import DemoCast, demo_cast_register
        from qyzmet.core.identifiers import IdentifierRules, identifier_rules_register

        from . import checks  # noqa: F401
        from .demo import DEMO_CITIZEN_A_IIN, DEMO_CITIZEN_B_IIN, demo_logins
        from .identifiers import bin_demo, bin_validate, iin_validate

        # The platform checks IINs and BINs through core; the rules are Kazakhstan's.
        identifier_rules_register(
            IdentifierRules(iin=iin_validate, bin=bin_validate, demo_bin=bin_demo)
        )
        # The apps' demo data acts as the pack's demo people.
        demo_cast_register(
            DemoCast(
                citizen_a_iin=DEMO_CITIZEN_A_IIN,
                citizen_b_iin=DEMO_CITIZEN_B_IIN,
                logins=demo_logins,
            )
        )
