"""One typed descriptor per state registry: the single place that says what a registry is.

Why: the facts of one registry used to be written out by hand in several places (the registry
client, the GovStack Data API mapping, the service-package validator, the UI labels, the
exchange pack, the demo) and they drifted apart. A registry now declares itself once, as a
subclass of `RegistryDescriptor` registered with `@registry_register`, and everything else is
derived from the registered descriptors.

This module is the contract; `docs/registries.md` shows how to add a registry. It lives in
`exchange` because registries sit behind the gateway: a registry imports the gateway's contract
and the gateway never imports a registry (no cycle between the apps). The registry apps
import it as `qyzmet.registries.descriptor`, which re-exports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from django.utils.functional import Promise

SubjectKind = Literal["iin", "bin", "bin_or_iin"]


@dataclass(frozen=True)
class ChangeEventType:
    """One kind of change a registry publishes, as a CloudEvents 1.0 `type`.

    `type` is reverse-DNS and stable (subscribers filter on it), e.g.
    `kz.gov.registries.population.birth_registered`; `subject` says what the CloudEvents
    `subject` attribute holds (the IIN of the person the change is about, or a BIN); `label` is
    what a person reads (a lazy translation); `personal` tells whether `data` carries personal
    data (then reading the feed is a personal-data read, audited)."""

    type: str
    subject: SubjectKind
    label: Promise | str
    personal: bool = True
    data_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class FactSpec:
    """One fact a registry answers about one subject.

    `fields`: the answer's shape — field name → None for a leaf, a nested dict for a nested
    object, or `ANY` for a structure the catalogue does not police (lists of people etc.).
    `answer(subject)` returns the answer dict or None (no such subject). `person_of(subject,
    answer)` gives the IIN whose personal data the answer is ("" for a company's); None means
    the subject itself."""

    name: str
    subject: SubjectKind
    fields: dict[str, Any]
    answer: Callable[[str], dict[str, Any] | None]
    person_of: Callable[[str, dict[str, Any]], str] | None = None  # None: the subject itself
    label: Promise | str = ""
    personal: bool = True


ANY = "*"


class RegistryDescriptor:
    """What a registry declares. Subclass, fill in the class attributes, decorate with
    `@registry_register`."""

    code: ClassVar[str]  # "population": the registry's code everywhere (URLs, packages, audit)
    label: ClassVar[Promise | str]  # "population register", nominative, lazy translation
    consent_required: ClassVar[bool] = False  # reading it for a purpose needs the person's consent
    data_api: ClassVar[bool] = True  # exposed as a GovStack Digital Registries Data API
    change_events: ClassVar[tuple[ChangeEventType, ...]] = ()

    def facts(self) -> tuple[FactSpec, ...]:
        """The facts this registry answers (a method, so answers may import lazily)."""
        raise NotImplementedError

    def change_event(self, type_: str) -> ChangeEventType | None:
        return next((e for e in self.change_events if e.type == type_), None)


_registered: dict[str, type[RegistryDescriptor]] = {}
_instances: dict[str, RegistryDescriptor] = {}


def registry_register(cls: type[RegistryDescriptor]) -> type[RegistryDescriptor]:
    """Class decorator: make the registry known. A second class with the same code replaces the
    first (a deployment overriding a built-in registry)."""
    _registered[cls.code] = cls
    _instances.pop(cls.code, None)
    return cls


def registry_unregister(code: str) -> None:
    """Forget a registry (tests that add a fixture registry clean up with this)."""
    _registered.pop(code, None)
    _instances.pop(code, None)


def registry_descriptors() -> dict[str, RegistryDescriptor]:
    """Every registered registry, by code, in registration order."""
    _load_builtin()
    for code, cls in _registered.items():
        if code not in _instances:
            _instances[code] = cls()
    return {code: _instances[code] for code in _registered}


def registry_descriptor(code: str) -> RegistryDescriptor | None:
    return registry_descriptors().get(code)


def change_event_type(type_: str) -> tuple[RegistryDescriptor, ChangeEventType] | None:
    """The registry that publishes `type_` and the event's declaration, or None."""
    for descriptor in registry_descriptors().values():
        found = descriptor.change_event(type_)
        if found is not None:
            return descriptor, found
    return None


@dataclass
class _Loaded:
    done: bool = False
    modules: list[str] = field(default_factory=list)


_loaded = _Loaded()


def _load_builtin() -> None:
    """Import each registry app's `descriptor` module once, so its `@registry_register` runs."""
    if _loaded.done:
        return
    _loaded.done = True
    from django.apps import apps
    from django.utils.module_loading import module_has_submodule

    for config in apps.get_app_configs():
        if config.name.startswith("qyzmet.registries.") and module_has_submodule(
            config.module, "descriptor"
        ):
            __import__(f"{config.name}.descriptor")
            _loaded.modules.append(config.name)
