"""The open dialogue pages through the browser suite's own checks (tests/browser): each page in
kk/ru/en at 1280 and 320 px — axe-core, reflow, no code-shaped text, nothing untranslated —
on the demo world. The whole-site suite checks the same pages; this runs only ours (fast).
With QYZMET_SHOTS_DIR set it also saves the Kazakh screenshots of the main pages there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from tests.browser import every_page as ep
from tests.browser import test_every_page as suite
from tests.browser.conftest import RUN_BROWSER, SKIP_REASON, demo_world  # noqa: F401

SHOTS = os.environ.get("QYZMET_SHOTS_DIR", "")
OURS = [name for name in ep.PAGES if "dialogue" in name]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not RUN_BROWSER, reason=SKIP_REASON)
def test_dialogue_pages(browser, live_server, demo_world):  # noqa: F811
    world, roles = suite._world(demo_world)
    codes = suite._known_codes()
    msgids = {lang: ep.english_msgids(lang) for lang in ("kk", "ru")}
    tabs = suite._Tabs(browser, live_server.url, roles, demo_world.citizen_a)
    failures = []
    for name in OURS:
        spec = ep.PAGES[name]
        url = reverse(name, kwargs=spec.kwargs(world)) + spec.query
        for lang in ep.LANGS:
            tab, refused = tabs.open(spec, url, lang)
            if refused:
                failures.append(f"{name} [{lang}]: {refused}")
                continue
            failures += [f"{name} [{lang}]: {p}" for p in
                         suite._look(tab, lang=lang, codes=codes, msgids=msgids.get(lang,
                                                                                    frozenset()))]
            if SHOTS and lang == "kk":
                for width in ep.WIDTHS:
                    tab.set_viewport_size({"width": width, "height": 800})
                    tab.evaluate(ep.SETTLED_JS)
                    Path(SHOTS).mkdir(parents=True, exist_ok=True)
                    tab.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    tabs.close()
    assert not failures, "\n".join(failures)
