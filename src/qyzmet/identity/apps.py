from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "qyzmet.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        """Tell the audit trail's data-usage log who the readers are, and notifications who the
        recipients are (both sit below identity and do not import it)."""
        from qyzmet.audit import usage
        from qyzmet.notifications.recipients import recipients

        from . import selectors

        recipients.user_get = lambda user_id: selectors.user_get(user_id=user_id)
        recipients.user_ids_by_phone = lambda phone: selectors.user_ids_by_phone(phone=phone)

        usage.directory.organisations = selectors.organisation_list
        usage.directory.users_by_iins = lambda iins: selectors.users_by_iins(iins=iins)
        usage.directory.user_agency_codes = lambda user: selectors.user_agency_codes(user=user)
