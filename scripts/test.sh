#!/usr/bin/env bash
# The whole suite: static checks, then the tests on SQLite, then on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY -m ruff check .
$PY manage.py makemigrations --check --dry-run --settings=config.settings.test
DJANGO_SETTINGS_MODULE=config.settings.test $PY -m pytest -n 2 -q
