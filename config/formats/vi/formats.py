"""Vietnamese number formats: Django's, plus grouping by thousands so that ``intcomma`` writes 20.000 (đồng)."""

from django.conf.locale.vi.formats import *  # noqa: F403

NUMBER_GROUPING = 3
