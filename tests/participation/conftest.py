import pytest

from tests.participation.factories import world_make


@pytest.fixture
def w(db):
    return world_make()
