"""Loading the active routing model, once per process and version. Any failure (no model
registered, files missing, the code of the model package broken) becomes `ModelUnavailable`,
which sends appeals to human triage instead of refusing them."""

from __future__ import annotations

import logging
import threading
from typing import Any

from qyzmet.ai import selectors as ai_selectors
from qyzmet.ai import services as ai_services

log = logging.getLogger(__name__)

_lock = threading.Lock()
_cache: dict[tuple[int, str], Any] = {}


class ModelUnavailable(Exception):
    def __init__(self, message: str, version=None):
        super().__init__(message)
        self.version = version


def model_loaded(version) -> Any:
    """The RoutingModel for a registry record, loaded at most once per process."""
    key = (version.id, str(version.path))
    with _lock:
        model = _cache.get(key)
        if model is not None:
            return model
        try:
            from .ml import RoutingModel

            model = RoutingModel.load(version.path)
        except Exception as exc:  # ModelLoadError, ImportError, OSError, ...
            message = f"{type(exc).__name__}: {exc}"
            log.warning("routing model %s failed to load: %s", version.version, message)
            ai_services.model_load_failed(version_id=version.id, error=message)
            raise ModelUnavailable(message, version) from exc
        _cache.clear()
        _cache[key] = model
    if version.last_load_error:
        ai_services.model_load_ok(version_id=version.id)
    return model


def model_active() -> tuple[Any, Any]:
    """(registry record, loaded model) of the active version, or ModelUnavailable."""
    version = ai_selectors.model_active()
    if version is None:
        raise ModelUnavailable("No routing model is active.")
    return version, model_loaded(version)


def district_for(lat: float | None, lon: float | None) -> str | None:
    """The district at a point, as the active model knows the districts; None when unknown."""
    if lat is None or lon is None:
        return None
    try:
        _, model = model_active()
        return model.district_from_point(lat, lon)
    except Exception:
        return None


def cache_clear() -> None:
    with _lock:
        _cache.clear()
