# EduDX: `make run` starts the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed

.PHONY: run test install lint check-migrations bench clean

# A fresh machine: make the virtual environment, put uv in it, install exactly the locked versions.
$(STAMP): requirements/base.txt requirements/dev.txt requirements/build-constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || { $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null; $(PY) -m pip install -q uv==0.13.9; }
	$(UV) pip install -q --python $(PY) --build-constraints requirements/build-constraints.txt \
		-r requirements/base.txt -r requirements/dev.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	./scripts/run-demo.sh

test: install
	./scripts/test.sh

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

check-migrations: install
	$(PY) manage.py makemigrations --check --dry-run --settings=config.settings.test

bench: install
	./scripts/bench.sh

clean:
	rm -rf var
