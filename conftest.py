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


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: a rolled-back test gives its row ids back, and an answer cached
    for them (a receiving desk, a procedure version) must not reach the next test."""
    from django.core.cache import cache

    cache.clear()
