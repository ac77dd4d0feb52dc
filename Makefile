# EduDX: `make run` starts the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed

.PHONY: run test install install-test lint check-migrations clean

$(STAMP): requirements/base.txt requirements/dev.txt requirements/build-constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(PY) -m pip install -q uv==0.13.9
	$(UV) pip install -q --python $(PY) --build-constraints requirements/build-constraints.txt \
		-r requirements/base.txt -r requirements/dev.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	./scripts/run-demo.sh

test: install
	./scripts/test.sh

clean:
	rm -rf var
