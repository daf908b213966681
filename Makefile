# Two commands do all the set-up on a fresh clone:  make book  and  make test.
# Both create the environment from the lock file (uv.lock) first.
.PHONY: book test test-fast lint lab serve clean env validate describe check-results update-results pdf bench browser-deps

UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
DATA_DIR ?= data
PARAMS ?=
RUN = $(UV) run --frozen

env: .venv/.nkbook-env
.venv/.nkbook-env: uv.lock pyproject.toml
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode
	@$(RUN) python -m compileall -q nkbook  # the project's own modules too (uv compiles only site-packages)
	@touch $@

book: env            ## build the book (and its PDF when chromium is there) into _build/html (DATA_DIR=..., PARAMS="--param end_year=2023")
	-@command -v chromium >/dev/null 2>&1 || $(MAKE) --no-print-directory browser-deps 2>/dev/null || echo "chromium not installed: the book is built without its PDF"
	$(RUN) python -m nkbook build --data-dir $(DATA_DIR) $(PARAMS)

test: env browser-deps lint  ## lint, then every test (builds the book once and shares it between tests)
	$(RUN) pytest --durations=15

test-fast: env       ## about 20 s: unit tests, data validation, one compute() per chapter; no book, browser, sweep
	$(RUN) pytest -q -n 2 --dist loadfile -m "not book and not browser and not slow"

lint: env            ## ruff (lint and format check), mypy on the package, deptry (imports declared)
	$(RUN) ruff check nkbook tests benchmarks
	$(RUN) ruff format --check nkbook tests benchmarks
	$(RUN) mypy
	$(RUN) deptry nkbook

browser-deps:        ## Debian's chromium and Noto fonts (Korean glyphs in the PDF), no browser download; axe-core from npm
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	@test -d /usr/share/fonts/opentype/noto || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk fonts-noto-core >/dev/null)
	@test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund --silent

# JupyterLab lives in its own environment (.venv-lab, from the same lock file, with the 'lab' group):
# in the build's, its dependencies would slow every build process (see CONTRIBUTING).
LAB = UV_PROJECT_ENVIRONMENT=.venv-lab $(RUN) --group lab
lab: env             ## open the MyST notebooks (notebooks/*.md) as notebooks in JupyterLab (jupytext)
	$(LAB) python -c "from nkbook.build.driver import ensure_kernel; ensure_kernel()"
	JUPYTERLAB_SETTINGS_DIR=$(CURDIR)/.jupyter/lab/user-settings $(LAB) jupyter lab --notebook-dir=. notebooks/

serve:               ## view the built book on http://localhost:8000
	$(RUN) python -m http.server 8000 --directory _build/html

validate: env
	$(RUN) python -m nkbook validate --data-dir $(DATA_DIR)

describe: env        ## after editing data/*.csv: recompute checksums and row counts
	$(RUN) python -m nkbook describe

check-results: env
	$(RUN) python -m nkbook check-results

update-results: env  ## accept the last build's numbers as the published ones
	$(RUN) python -m nkbook update-results

pdf: env browser-deps  ## the book and _build/html/book.pdf (printed by Debian's chromium)
	$(RUN) python -m nkbook build --pdf --data-dir $(DATA_DIR) $(PARAMS)

bench: env
	$(RUN) python benchmarks/bench.py

clean:
	rm -rf _build
