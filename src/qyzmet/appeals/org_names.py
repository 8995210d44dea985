"""Names in kk/ru/en for the organisations the demo routing model names only by a Russian label
(St Petersburg's district administrations, housing agencies and city committees), so that the
triage chooser and the citizen's page read in the person's language, not in the label's.

District bodies are named from the pack's own district names; the city's bodies that answer
most appeals have their names here; any other label keeps its Russian words in every language
(a name people can read, never a code)."""

from __future__ import annotations

import re

from .config import appeals_pack

# A label of a district body: its kind and the district's adjective in the genitive.
_DISTRICT_BODY = re.compile(
    r"^(?:(?P<housing>СПб ГКУ ЖА)|(?P<admin>Администрация)) (?P<district>\S+) района$")

_KINDS = {
    "housing": {"kk": "{d} тұрғын үй агенттігі", "en": "{d} Housing Agency"},
    "admin": {"kk": "{d} әкімдігі", "en": "{d} Administration"},
}

_CITY_BODIES = {
    "СПб ГКУ \"Дирекция по организации дорожного движения\"": {
        "kk": "Жол қозғалысын ұйымдастыру дирекциясы",
        "en": "Traffic Management Directorate"},
    "Комитет по энергетике и инженерному обеспечению": {
        "kk": "Энергетика және инженерлік қамтамасыз ету комитеті",
        "en": "Committee for Energy and Utilities"},
    "СПб ГБУ «Ленсвет»": {"kk": "«Ленсвет» (көше жарығы)", "en": "Lensvet (street lighting)"},
    "Комитет по благоустройству Санкт-Петербурга": {
        "kk": "Санкт-Петербургті абаттандыру комитеті",
        "en": "St Petersburg Committee for Urban Improvement"},
    "Комитет по транспорту": {"kk": "Көлік комитеті", "en": "Transport Committee"},
    "СПб ГКУ «Фонд капитального строительства и реконструкции»": {
        "kk": "Күрделі құрылыс және қайта құру қоры",
        "en": "Capital Construction and Reconstruction Fund"},
    "Государственная административно-техническая инспекция": {
        "kk": "Мемлекеттік әкімшілік-техникалық инспекция",
        "en": "State Administrative and Technical Inspectorate"},
    "СПб ГКУ \"Дирекция транспортного строительства\"": {
        "kk": "Көлік құрылысы дирекциясы", "en": "Transport Construction Directorate"},
    "Комитет по развитию транспортной инфраструктуры Санкт-Петербурга": {
        "kk": "Көлік инфрақұрылымын дамыту комитеті",
        "en": "Committee for Transport Infrastructure Development"},
    "СПб ГКУ «Городской центр управления парковками Санкт-Петербурга»": {
        "kk": "Қалалық тұрақтарды басқару орталығы", "en": "City Parking Management Centre"},
    "СПб ГБУ \"Мостотрест\"": {"kk": "«Мостотрест» (көпірлер)", "en": "Mostotrest (bridges)"},
    "Жилищный комитет": {"kk": "Тұрғын үй комитеті", "en": "Housing Committee"},
    "Комитет по здравоохранению": {"kk": "Денсаулық сақтау комитеті",
                                   "en": "Health Committee"},
    "ГУП «Водоканал Санкт-Петербурга»": {"kk": "«Водоканал» (су құбыры)",
                                        "en": "Vodokanal (water utility)"},
    "Комитет по образованию": {"kk": "Білім беру комитеті", "en": "Education Committee"},
    "Комитет по строительству": {"kk": "Құрылыс комитеті", "en": "Construction Committee"},
    "Комитет по градостроительству и архитектуре": {
        "kk": "Қала құрылысы және сәулет комитеті",
        "en": "Committee for Urban Planning and Architecture"},
}


def _district_names(genitive: str) -> dict[str, str] | None:
    """The pack's names of the district whose adjective this genitive is ("Невского" →
    Невский, "Центрального" → Центральный)."""
    stem = genitive[:-3] if genitive.endswith("ого") else genitive
    for district in appeals_pack().districts:
        if district.name in (stem + "ий", stem + "ый"):
            return {lang: district.label(lang) for lang in ("kk", "ru", "en")}
    return None


def names_for_label(label: str) -> dict[str, str]:
    """kk/ru/en names for one of the model's organisation labels."""
    match = _DISTRICT_BODY.match(label)
    if match:
        districts = _district_names(match.group("district"))
        if districts:
            kind = _KINDS["housing" if match.group("housing") else "admin"]
            kk_district = districts["kk"].removesuffix(" ауданы") + " ауданының"
            return {"kk": kind["kk"].format(d=kk_district), "ru": label,
                    "en": kind["en"].format(d=districts["en"])}
    known = _CITY_BODIES.get(label, {})
    return {"kk": known.get("kk", label), "ru": label, "en": known.get("en", label)}
