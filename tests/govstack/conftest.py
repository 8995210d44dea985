import pytest


@pytest.fixture(autouse=True)
def _registry_side_proof(settings):
    """These tests call the registries as the gateway does, with the registry-side proof
    (`gateway_proof_headers`). When a deployment wires the gateway's own signature
    (`QYZMET_GATEWAY_VERIFIER`), that path is tested with the gateway in tests/exchange."""
    settings.QYZMET_GATEWAY_VERIFIER = ""
