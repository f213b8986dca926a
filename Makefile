# Filon: `make run` serves the app, `make test` runs every test. Both install what they need first.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
FLASK   := $(BIN)/flask --app app
PORT    ?= 5000
STAMP   := $(VENV)/.installed

.PHONY: install run test check audit lint bench bench-import loadtest translations vendor clean

# Reinstall only when the dependencies change; compile the catalogs every time (cheap).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/pybabel -q compile -d crm/translations

# The import worker runs beside the web server (lead imports are background jobs); stopping
# `make run` (Ctrl-C, or a TERM to make) stops both: the trap ends the worker when the server exits.
run: install
	$(FLASK) db upgrade
	$(FLASK) import-worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Security checks (issue 9). `make check` (CI runs it): bandit reads the app's code for risky calls;
# each accepted one carries a `# nosec` with its reason. `make audit`: pip-audit checks the installed
# dependencies against PyPI's advisories. It needs https://pypi.org/pypi/<name>/<version>/json (or
# api.osv.dev), which this project's CI machines cannot reach, so CI does not run it.
check: install
	$(BIN)/bandit -r crm -q

audit: install
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off

# Benchmarks (issue 8): `make bench` seeds fresh SQLite and PostgreSQL (when one answers) databases
# at 100,000 leads, loads every hot route under gunicorn -w 2 with wrk beside a ceiling app, times
# the seed and a 100,000-row CSV import, prints the table and writes docs/benchmarks.md. Options in
# BENCH_ARGS (`make bench BENCH_ARGS=--help`); a smoke check: BENCH_ARGS="--leads 2000 --accounts 400
# --contacts 600 --opportunities 400 --activities 4000 --import-rows 2000 --duration 2 --no-write".
# `make bench-import`: the messy CSV import alone, on a fresh SQLite database (ROWS= to change it).
ROWS ?= 100000
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-import: install
	$(BIN)/python bench/import_leads.py --rows $(ROWS)

# `make loadtest` (issue 9): 1,000 public Web-to-Lead posts from 8 threads against gunicorn -w 2 on a
# fresh SQLite database, once with the default per-address throttle and once with it raised; checks
# in the database that every accepted post is stored exactly once and that nothing answered 5xx
# (exit 1 otherwise). Options in LOADTEST_ARGS (`make loadtest LOADTEST_ARGS=--help`), e.g.
# LOADTEST_ARGS="--pg-url postgresql://postgres@127.0.0.1:5432/filon_loadtest" to add PostgreSQL.
loadtest: install
	$(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# Extract every gettext string, then merge into the French catalog (translate, then commit).
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -k _lp:1c,2 -o crm/translations/messages.pot .
	$(BIN)/pybabel update -i crm/translations/messages.pot -d crm/translations --no-fuzzy-matching

# Refresh the vendored front-end files from the npm registry at the versions pinned in package.json.
vendor:
	npm install --no-audit --no-fund --ignore-scripts
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/sortablejs/Sortable.min.js static/vendor/Sortable.min.js
	cp node_modules/axe-core/axe.min.js tests/browser/vendor/axe.min.js

clean:
	rm -rf $(VENV) node_modules .pytest_cache
