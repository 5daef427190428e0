# Two commands do everything on a fresh machine: `make serve` and `make test`.
# The virtualenv is created on first use and refreshed when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080
WORKERS ?= 2

.PHONY: serve test lint bench bench-scale stress eval clean

$(BIN)/tzomet: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/tzomet

serve: $(BIN)/tzomet
	$(BIN)/tzomet serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

# both cores, a test module per unit of work (tests/conftest.py sends the slow ones first), so the
# n8n module starts one n8n.
# Nothing lands in the checkout: bytecode goes to the temp dir, and pytest keeps no cache.
# Bytecode is written there even where PYTHONDONTWRITEBYTECODE is set: with a prefix and no
# writes, every process of the suite (each `tzomet serve` it starts) compiled numpy, scipy
# and scikit-learn from source again, 3-5 s each.
TMPDIR ?= /tmp
test: $(BIN)/tzomet
	PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(TMPDIR)/tzomet-pycache \
		$(BIN)/python -m pytest -q -n auto --dist loadscope --no-loadscope-reorder -p no:cacheprovider

lint: $(BIN)/tzomet
	$(BIN)/ruff check .
	$(BIN)/mypy server.py nodes
	$(BIN)/lint-imports

bench: $(BIN)/tzomet
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "make bench needs wrk: sudo apt-get install wrk"; exit 2; }
	$(BIN)/python bench/run.py

# outbox drain with 1/2/4 writer processes and classify-lead with 1/2 instances, on a throwaway PostgreSQL
bench-scale: $(BIN)/tzomet
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "make bench-scale needs wrk: sudo apt-get install wrk"; exit 2; }
	$(BIN)/python bench/scale.py

# adversarial text at every finder and action, in-process, for TZOMET_STRESS_MINUTES (default 3); not in `make test`
stress: $(BIN)/tzomet
	$(BIN)/python bench/stress.py

eval: $(BIN)/tzomet
	$(BIN)/tzomet eval classify-lead --min-macro-f1 0.85

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
