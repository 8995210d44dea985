"""The JSON Schema format checker every form uses: the standard formats plus the country pack's
identifiers (`format: iin`, `format: bin`), so a wrong check digit is caught with its reason
wherever a service asks for one."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string
from jsonschema import FormatChecker


@lru_cache(maxsize=1)
def format_checker() -> FormatChecker:
    checker = FormatChecker()
    for name, dotted in settings.QYZMET_ID_FORMATS.items():
        validate = import_string(dotted)

        def check(value: object, _validate=validate) -> bool:
            if not isinstance(value, str):
                return True  # the `type` keyword reports non-strings
            _validate(value)
            return True

        # The validator raises with a reason; jsonschema puts it in the error message.
        checker.checks(name, raises=(ValueError,))(check)
    return checker
