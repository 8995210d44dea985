from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "qyzmet.transparency"
    label = "transparency"

    def ready(self) -> None:
        from qyzmet.audit.services import audit_tail_listen
        from qyzmet.documents.transparency_log import transparency_log_register

        from . import consumers, selectors, tasks  # noqa: F401  (registers consumers and tasks)

        audit_tail_listen(tasks.audit_tail_grew)
        # The document verifier reads the log without importing this app.
        transparency_log_register(selectors)
