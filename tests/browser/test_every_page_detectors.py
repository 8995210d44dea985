"""The detectors of the every-page suite find what they are for and leave prose alone (plain
tests, no browser: a detector that never fires would make the suite pass on any page)."""

from __future__ import annotations

import pytest

from tests.browser import every_page as ep

CODES = frozenset({"kz-mvd", "spb-kb", "registered", "street-infrastructure"})


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Мекеме: kz-mvd", "kk", ["kz-mvd"]),
        ("Status: in_work", "en", ["in_work"]),
        ("Қызмет kz.address-certificate", "kk", ["kz.address-certificate"]),
        ("Organisation appeal-org-8e287f02e3 (0,83)", "en", ["appeal-org-8e287f02e3"]),
        ("Routed to spb-kb", "en", ["spb-kb"]),
        ("Санат: street-infrastructure", "ru", ["street-infrastructure"]),
        ("category_macro_f1 0.81", "en", ["category_macro_f1"]),
        ('Деректер {"iin": "900101300123"}', "ru", ["iin", "raw JSON"]),
        ("Шешім approve QZ-00000001", "kk", ["approve"]),
        ("Күйі: registered", "kk", ["registered"]),
        ("Any-thing-kebab", "ru", []),  # capitalised: a word, not an identifier
        ("сот-сараптама", "ru", []),  # Cyrillic compounds are prose
        ("some-code", "ru", ["some-code"]),
    ],
)
def test_code_tokens_found(text, lang, expected):
    assert ep.code_tokens(text, lang=lang, known_codes=CODES) == expected


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Sign in with a one-time code sent to your phone; a follow-up e-mail.", "en"),
        ("The appeal was registered on 4 December at 10:30 a.m.", "en"),
        ("Жазыңыз: help@egov.example.org, https://qyzmet.example/verify/abc_def/", "kk"),
        ("Анықтама QZ-00000001, ЖСН 900101300123, дайын: result.pdf", "kk"),
        ("Заявление QZ-00000042 зарегистрировано", "ru"),
    ],
)
def test_prose_is_left_alone(text, lang):
    assert ep.code_tokens(text, lang=lang, known_codes=CODES) == []


def test_msgids_are_loaded_for_kk_and_ru():
    for lang in ("kk", "ru"):
        msgids = ep.english_msgids(lang)
        assert "Sign in" in msgids and "My applications" in msgids, lang
        assert not any("%(" in m for m in msgids)
