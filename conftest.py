import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def world(db):
    from edudx.testing import build_world

    return build_world()


@pytest.fixture
def actor_of():
    from edudx.core.permissions import Actor

    return lambda user: Actor(user=user)
