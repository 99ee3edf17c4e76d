# Scenic Heatmap developer commands. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
VENV := .venv
PYSAL_VENV := .venv-pysal
PY := $(VENV)/bin/python
QGIS_PROCESS := /usr/bin/qgis_process.bin
APT_PACKAGES := qgis python3-qgis qgis-providers python3-gdal chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export QT_QPA_PLATFORM := offscreen
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup qgis test test-core demo install package lint format bench clean

setup: qgis $(VENV)/.installed $(PYSAL_VENV)/.installed

# PySAL's esda, only as the reference the Gi* tests compare with: in a venv of its own, since it
# brings numpy 2, geopandas and pyogrio (its own GDAL), which must not enter QGIS's Python.
$(PYSAL_VENV)/.installed:
	python3 -m venv $(PYSAL_VENV) && $(PYSAL_VENV)/bin/pip install --disable-pip-version-check -q esda==2.9.0 libpysal==4.14.1
	touch $@

# Debian's QGIS 3.22 for the system Python, and the browser the web-map tests drive; skipped when
# they are already there.
qgis:
	@if [ -x $(QGIS_PROCESS) ] && [ -x /usr/bin/chromedriver ] && /usr/bin/python3 -c 'import qgis.core, osgeo.gdal' 2>/dev/null; then \
		echo "QGIS and chromium are installed."; \
	else \
		$(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $(APT_PACKAGES); \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt
	[ -x $(PY) ] || /usr/bin/python3 -m venv --system-site-packages $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

test: setup
	$(PY) -m pytest tests

# The QGIS-free core (tests/core): no QGIS needed, and the pytest-qgis plugin stays off.
test-core: $(VENV)/.installed
	SCENIC_CORE_ONLY=1 $(PY) -m pytest -p no:pytest_qgis tests/core

demo: setup
	$(PY) scripts/demo.py demo_output

bench: setup
	$(PY) bench/heatmap.py
	$(PY) bench/harvest.py
	$(PY) bench/classify.py
	$(PY) bench/workflow.py
	$(PY) bench/pricemodel.py
	$(PY) bench/yfcc.py
	$(PY) bench/webmap.py

# Only ruff, in a venv of its own: no QGIS, no TensorFlow.
LINT_VENV := .venv-lint
$(LINT_VENV)/bin/ruff:
	python3 -m venv $(LINT_VENV) && $(LINT_VENV)/bin/pip install --disable-pip-version-check -q ruff==0.17.6

lint: $(LINT_VENV)/bin/ruff
	$(LINT_VENV)/bin/ruff check .
	$(LINT_VENV)/bin/ruff format --check .

format: $(LINT_VENV)/bin/ruff
	$(LINT_VENV)/bin/ruff format .

# Link the checkout into the default QGIS 3 profile as `scenic_heatmap`.
install:
	mkdir -p $(HOME)/.local/share/QGIS/QGIS3/profiles/default/python/plugins
	ln -sfn $(CURDIR) $(HOME)/.local/share/QGIS/QGIS3/profiles/default/python/plugins/scenic_heatmap
	@echo "Linked. Enable 'Scenic Heatmap' in QGIS: Plugins > Manage and Install Plugins."

# A zip for plugins.qgis.org: the plugin folder without tests and dev files.
package:
	rm -rf dist && mkdir -p dist/scenic_heatmap
	tar -c --exclude=__pycache__ --exclude='*.pyc' metadata.txt __init__.py plugin.py LICENSE README.md \
		requirements.txt core algorithms gui processing_provider resources | tar -x -C dist/scenic_heatmap
	cd dist && python3 -m zipfile -c scenic_heatmap.zip scenic_heatmap/
	@echo dist/scenic_heatmap.zip

clean:
	rm -rf dist demo_output bench_output .pytest_cache $(LINT_VENV) $(PYSAL_VENV)
