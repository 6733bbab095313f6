# The two commands a newcomer needs: `make demo` and `make test`. Both set everything up first.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test check lint bench soak screenshots translations package clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt scripts/bootstrap.sh
	bash scripts/bootstrap.sh $(VENV)
	touch $@

demo: setup
	$(VENV)/bin/ms5 demo

lint: setup
	$(VENV)/bin/ruff check core connectors hmi sparkplug tests scripts
	$(VENV)/bin/ruff format --check core connectors hmi sparkplug tests scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

test: lint
	$(VENV)/bin/pytest

# The inner loop: ruff and the tests not marked slow (engine, config, store, views, permissions,
# socket protocol; no servers, no Qt, no PyInstaller), in under two minutes. `make test` runs all.
check: setup
	$(VENV)/bin/ruff check core connectors hmi sparkplug tests scripts
	$(VENV)/bin/pytest -m "not slow"

bench: setup
	$(PY) -m scripts.bench_replay --days 30 --machines 10
	$(PY) -m scripts.bench_modbus
	$(PY) -m scripts.bench_latency_modbus --changes 200 --poll 0.1
	$(PY) -m scripts.bench_latency_opcua
	$(PY) -m scripts.bench_station --connections 20 --tags 100 --poll 0.2 --seconds 60
	QT_QPA_PLATFORM=offscreen $(PY) -m scripts.bench_panel --machines 20 --hz 10 --seconds 20
	$(PY) -m scripts.bench_console
	$(PY) -m scripts.bench_store_growth --hours 24
	$(PY) -m scripts.bench_quick_check --hours 168
	$(PY) -m scripts.crash_harness --kills 24 --seed 1
	$(PY) -m scripts.bench_reconnect --outages 20,120 --baseline

# An hour: the station on the simulated line, memory, CPU and store growth sampled every 30 s.
soak: setup
	$(PY) -m scripts.soak --minutes 60 --connections 20 --tags 100 --sample-seconds 30

# The panel's screens at 1280x800 and 1920x1080 into docs/screenshots/ (offscreen, the demo shift),
# and in German at 1280x800.
screenshots: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m scripts.screenshots --out docs/screenshots
	QT_QPA_PLATFORM=offscreen $(PY) -m scripts.screenshots --out docs/screenshots --language de

# The panel's languages (docs/PANEL.md, "Languages"): refresh the .ts sources from the code's
# strings (new ones come in untranslated, gone ones are dropped), then compile them to the .qm the
# panel loads. Translate in the .ts (by hand or in pyside6-linguist), then run it again.
I18N := hmi/panel/i18n
translations: setup
	$(VENV)/bin/pyside6-lupdate -no-obsolete -locations none $$(find hmi/panel -name '*.py' | sort) \
		-ts $(I18N)/ms5_en.ts $(I18N)/ms5_de.ts
	$(VENV)/bin/pyside6-lrelease $(I18N)/ms5_en.ts $(I18N)/ms5_de.ts

# The one-folder build dist/ms5/ (docs/PACKAGING.md).
package: setup
	$(VENV)/bin/pyinstaller --noconfirm pyinstaller.spec

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
