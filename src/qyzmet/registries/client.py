"""Moved: the registry client seam is `qyzmet.exchange.registry_client` (nothing imports a
registry; everything asks the gateway).

This module only re-exports it so that the callers not yet switched (applications, portal, the
country pack's demo, the settings' dotted paths, tests) keep working; new code imports
`qyzmet.exchange.registry_client`. Remove it once nothing names `qyzmet.registries.client`.
"""

from qyzmet.exchange.registry_client import (
    FactAnswer,
    GatewayRegistryClient,
    InvalidRequest,
    InvalidSubject,
    LocalRegistryClient,
    PurposeRequired,
    RegistryClient,
    RegistryError,
    RegistryRefused,
    RegistryUnavailable,
    SubjectNotFound,
    UnavailableRegistryClient,
    UnknownFact,
    fact_answer,
    registry_client,
    registry_facts,
    subject_validate,
)

__all__ = [
    "FactAnswer",
    "GatewayRegistryClient",
    "InvalidRequest",
    "InvalidSubject",
    "LocalRegistryClient",
    "PurposeRequired",
    "RegistryClient",
    "RegistryError",
    "RegistryRefused",
    "RegistryUnavailable",
    "SubjectNotFound",
    "UnavailableRegistryClient",
    "UnknownFact",
    "fact_answer",
    "registry_client",
    "registry_facts",
    "subject_validate",
]
