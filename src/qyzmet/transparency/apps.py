from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "qyzmet.transparency"
    label = "transparency"

    def ready(self) -> None:
        from qyzmet.audit.services import audit_tail_listen

        from . import consumers, tasks  # noqa: F401  (registers the consumers and tasks)

        audit_tail_listen(tasks.audit_tail_grew)
