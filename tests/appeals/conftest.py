"""Fixtures for appeals: the pack's organisations, people with roles, and a routing model trained
once per session with the model package's own `train()` on ~1,500 real appeals (skipped when the
data file or the model package is absent)."""

from __future__ import annotations

import base64
import gzip
import itertools
import json
import os
from pathlib import Path

import pytest

from qyzmet.appeals import routing
from qyzmet.appeals.demo import organisations_ensure
from tests.appeals.factories import image_bytes
from tests.identity.factories import MembershipFactory, UserFactory
from tests.portal.factories import citizen as make_citizen

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("QYZMET_APPEALS_DATA")
            or REPO.parent / "shared" / "data" / "appeals-spb" / "appeals-train.jsonl.gz")
ORG = "spb-kb"
OTHER_ORG = "spb-odd"
# A point in the demo jurisdiction (St Petersburg) and one in Astana.
SPB = (59.9343, 30.3351)
ASTANA = (51.1282, 71.4304)
PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    routing.cache_clear()
    yield
    routing.cache_clear()


@pytest.fixture(autouse=True)
def _model_store(settings, tmp_path):
    settings.QYZMET_MODEL_STORE = str(tmp_path / "models")


@pytest.fixture
def orgs(db):
    organisations_ensure()
    return ORG


@pytest.fixture
def citizen(db):
    return make_citizen()


def _member(org: str, role: str):
    from qyzmet.identity.models import Organisation

    user = UserFactory()
    MembershipFactory(user=user, organisation=Organisation.objects.get(code=org), role=role)
    return user


@pytest.fixture
def officer(orgs):
    return _member(ORG, "officer")


@pytest.fixture
def other_officer(orgs):
    return _member(OTHER_ORG, "officer")


@pytest.fixture
def head(orgs):
    return _member(ORG, "head")


@pytest.fixture
def triager(orgs):
    return _member(ORG, "appeals_triage")


@pytest.fixture
def ai_admin(orgs):
    return _member(ORG, "ai_admin")


@pytest.fixture(scope="session")
def appeals_data() -> Path:
    """The published appeals file beside the checkout (../shared); tests that read it are
    skipped, saying where it was looked for, when a checkout has no ../shared."""
    if not DATA.exists():
        pytest.skip(f"appeals data not found at {DATA}")
    return DATA


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, appeals_data) -> Path:
    """A model trained once per session on the first 1,500 rows of the real data."""
    from qyzmet.appeals.ml import read_jsonl, train

    try:
        records = list(itertools.islice(read_jsonl(DATA), 1500))
    except TypeError:
        with gzip.open(DATA, "rt", encoding="utf-8") as fh:
            records = [json.loads(line) for line in itertools.islice(fh, 1500)]
    out = tmp_path_factory.mktemp("models") / "tiny"
    metadata = train(records, out_dir=out, progress=lambda f, m="": None, seed=0)
    (out / "_test_metadata.json").write_text(json.dumps(metadata, default=str))
    return out


@pytest.fixture
def tiny_model(db, tiny_model_dir, ai_admin):
    """The tiny model registered and activated by an AI administrator."""
    from qyzmet.ai import services as ai_services

    metadata = json.loads((tiny_model_dir / "_test_metadata.json").read_text())
    mv = ai_services.model_register(actor=ai_admin, version="tiny-1", path=str(tiny_model_dir),
                                    metadata=metadata)
    return ai_services.model_activate(actor=ai_admin, version_id=mv.id)


@pytest.fixture
def broken_model(db, tmp_path, ai_admin):
    """An active model whose artefact directory is empty: it cannot load."""
    from qyzmet.ai import services as ai_services

    empty = tmp_path / "broken-model"
    empty.mkdir()
    mv = ai_services.model_register(actor=ai_admin, version="broken-1", path=str(empty),
                                    metadata={"thresholds": {}})
    return ai_services.model_activate(actor=ai_admin, version_id=mv.id)
