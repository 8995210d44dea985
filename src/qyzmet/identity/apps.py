from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "qyzmet.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        """Tell the audit trail's data-usage log who the readers are (audit sits below identity
        and does not import it)."""
        from qyzmet.audit import usage

        from . import selectors

        usage.directory.organisations = selectors.organisation_list
        usage.directory.users_by_iins = lambda iins: selectors.users_by_iins(iins=iins)
        usage.directory.user_agency_codes = lambda user: selectors.user_agency_codes(user=user)
