from django.apps import AppConfig


class ChangeEventsConfig(AppConfig):
    name = "qyzmet.registries.change_events"
    label = "registry_change_events"
    verbose_name = "Registry change events"

    def ready(self) -> None:
        """Every process that may deliver outbox events (web, worker, beat) appends the feed:
        the feed's consumer is registered for each change-event type the registries declare."""
        from .services import feed_consumers_register

        feed_consumers_register()
