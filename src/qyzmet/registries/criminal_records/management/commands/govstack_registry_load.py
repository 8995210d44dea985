"""`qyzmet govstack_registry_load`: see `qyzmet.registries.govstack.load_command` (a command
must live in an installed app; the GovStack package is not one)."""

from qyzmet.registries.govstack.load_command import Command  # noqa: F401
