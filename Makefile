# `make run` and `make test` set up everything on a fresh machine: the venv, the pinned packages and, for the
# browser tests, Debian's chromium.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PORT ?= 8501

.PHONY: setup run test browser geodata vendor clean

$(INSTALLED): requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $(INSTALLED)

setup: $(INSTALLED)

browser:
	@bash scripts/ensure_chromium.sh

run: setup
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: setup browser
	$(PY) -m pytest -q

# Rebuild the data layers (needs npm for the Natural Earth countries) and the vendored web assets.
geodata: setup
	$(PY) scripts/build_basemap.py
	$(PY) scripts/build_geodata.py

vendor: setup
	$(PY) scripts/vendor_assets.py

clean:
	rm -rf $(VENV) .pytest_cache
