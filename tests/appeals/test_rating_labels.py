"""The rating choices of an answered appeal are labelled in words, in the citizen's language: each
radio has a visible <label> bound to it ("1 — very poor" … "5 — very good")."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from qyzmet.appeals import services
from qyzmet.appeals.models import Appeal
from tests.identity.factories import UserFactory

pytestmark = pytest.mark.django_db

WORDS = {
    "kk": ("1 — өте нашар", "5 — өте жақсы"),
    "ru": ("1 — очень плохо", "5 — отлично"),
    "en": ("1 — very poor", "5 — very good"),
}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_each_rating_radio_has_a_label_in_words(lang):
    person = UserFactory()
    appeal = services.appeal_submit(actor=person, text="Шұңқыр", lat=51.128, lon=71.43)
    Appeal.objects.filter(pk=appeal.pk).update(status="answered")
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(person)
    html = client.get(f"/my/appeals/{appeal.pk}/").content.decode()
    labels = re.findall(
        r'<label for="rating-(\d)"><input type="radio" id="rating-\1" name="rating" '
        r'value="\1" required> ([^<]+)</label>',
        html,
    )
    assert [value for value, _text in labels] == ["1", "2", "3", "4", "5"]
    texts = [text.strip() for _value, text in labels]
    assert texts[0] == WORDS[lang][0] and texts[-1] == WORDS[lang][1]
    assert all(len(text) > 4 for text in texts)  # a word after each number
