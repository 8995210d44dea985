"""`qyzmet govstack_registry_load`: see `qyzmet.registries.govstack.load_command`."""

from qyzmet.registries.govstack.load_command import Command  # noqa: F401
