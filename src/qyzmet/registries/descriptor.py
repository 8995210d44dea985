"""The registry descriptor contract, as the registries import it.

The contract itself is `qyzmet.exchange.registry_descriptor` (registries sit behind the gateway,
so the gateway owns the contract and never imports a registry); see its docstring and
`docs/registries.md`.
"""

from qyzmet.exchange.registry_descriptor import (
    ANY,
    ChangeEventType,
    FactSpec,
    RegistryDescriptor,
    SubjectKind,
    change_event_type,
    registry_descriptor,
    registry_descriptors,
    registry_register,
    registry_unregister,
)

__all__ = [
    "ANY",
    "ChangeEventType",
    "FactSpec",
    "RegistryDescriptor",
    "SubjectKind",
    "change_event_type",
    "registry_descriptor",
    "registry_descriptors",
    "registry_register",
    "registry_unregister",
]
