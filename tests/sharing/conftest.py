"""The sharing tests' world: two reps, a manager and an admin, each with records of their own."""

import pytest

from tests.sharing.world import build_world


@pytest.fixture
def world(app):
    with app.app_context():
        return build_world()
