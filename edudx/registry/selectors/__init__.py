"""Registry selectors, split by area: people (students, guardians, staff, classes, years) and schools."""

from .people import *  # noqa: F403
from .schools import *  # noqa: F403
