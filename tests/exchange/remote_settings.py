"""Settings of the second process in test_remote_registry: the embedded settings, with the
registries trusting only requests signed by the gateway."""

from qyzmet.settings.embedded import *  # noqa: F403

QYZMET_GATEWAY_VERIFIER = "qyzmet.exchange.provider.gateway_request_verify"
