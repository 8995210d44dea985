"""The demo's organisations that the routing model names only by a Russian label get kk/en names
(district bodies from the pack's district names, the city's main committees from a list), also
when an earlier demo load had named them by the label alone."""

from __future__ import annotations

import pytest

from qyzmet.appeals import services
from qyzmet.appeals.demo import _org_code_for_label, organisations_ensure
from qyzmet.identity.selectors import organisation_names
from qyzmet.identity.services import organisation_upsert

HOUSING = "СПб ГКУ ЖА Невского района"
ADMIN = "Администрация Центрального района"
UNKNOWN = "ГУП «ТЭК СПб»"


@pytest.mark.django_db
def test_model_labels_get_names_in_every_language():
    organisations_ensure(extra_labels=[HOUSING, ADMIN, UNKNOWN])
    assert _names(HOUSING) == {
        "kk": "Невский ауданының тұрғын үй агенттігі", "ru": HOUSING,
        "en": "Nevsky District Housing Agency"}
    assert _names(ADMIN)["en"] == "Tsentralny District Administration"
    assert _names(UNKNOWN) == {"kk": UNKNOWN, "ru": UNKNOWN, "en": UNKNOWN}  # words, not a code


@pytest.mark.django_db
def test_an_earlier_demo_named_by_label_is_renamed():
    code = _org_code_for_label(HOUSING)
    organisation_upsert(code=code, bin=_bin(code),
                        names={"kk": HOUSING, "ru": HOUSING, "en": HOUSING})
    services.organisation_alias_set(label=HOUSING, organisation_code=code)
    assert organisations_ensure(extra_labels=[HOUSING]) == 3  # only the pack's three are new
    assert organisation_names(codes=[code])[code]["en"] == "Nevsky District Housing Agency"


def _bin(code: str) -> str:
    from qyzmet.core.identifiers import demo_bin

    return demo_bin(code)


def _names(label: str) -> dict[str, str]:
    code = services.organisation_for_label(label)
    return organisation_names(codes=[code])[code]
