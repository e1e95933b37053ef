# `make run` and `make test` set up everything on a fresh machine: the venv, the pinned packages and, for the
# browser tests, Debian's chromium; for the proxy test and `make serve`, Debian's nginx.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PORT ?= 8501
REPLICAS ?= 2

.PHONY: setup run serve test browser proxy geodata vendor clean

$(INSTALLED): requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $(INSTALLED)

setup: $(INSTALLED)

browser:
	@bash scripts/ensure_debian_package.sh chromium chromium "the browser tests need it"

proxy:
	@bash scripts/ensure_debian_package.sh nginx nginx "make serve and the proxy test need it"

run: setup
	$(PY) -m streamlit run app.py --server.port $(PORT)

# REPLICAS app processes behind nginx on PORT, with cookie stickiness (and SITE=dir, a static site, at /site/);
# Ctrl-C stops all of it.
serve: setup proxy
	$(PY) scripts/serve.py --replicas $(REPLICAS) --port $(PORT) $(if $(SITE),--site $(SITE))

test: setup browser proxy
	$(PY) -m pytest -q

# Rebuild the data layers (needs npm for the Natural Earth countries) and the vendored web assets.
geodata: setup
	$(PY) scripts/build_basemap.py
	$(PY) scripts/build_geodata.py

vendor: setup
	$(PY) scripts/vendor_assets.py

clean:
	rm -rf $(VENV) .pytest_cache
