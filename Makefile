# Two commands: `make run` starts the bot, `make test` runs the whole suite. Both create .venv.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := tools/node_modules/.installed
PORT ?= 3978

.PHONY: run test lint playground package bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(NODE_STAMP): tools/package.json tools/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tools --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm not found: card/manifest validation and Playground tests will skip"; fi

run: $(STAMP)
	mkdir -p var
	SSPF_COORDINATORS=$${SSPF_COORDINATORS-*/00000000-0000-0000-0000-0000000000020} PORT=$(PORT) $(PY) -m bot.app

test: $(STAMP) $(NODE_STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

playground: $(NODE_STAMP)
	TEAMSAPPTESTER_BROWSER=none tools/node_modules/.bin/agentsplayground \
		-e http://127.0.0.1:$(PORT)/api/messages -c msteams --dt -p 56150

package: $(STAMP) $(NODE_STAMP)
	$(PY) tools/build_package.py $(if $(MicrosoftAppId),,--local)

screenshots: $(STAMP) $(NODE_STAMP)
	mkdir -p build
	$(PY) tools/sample_cards.py > build/cards.json
	node tools/render_cards.js build/cards.json build/screenshots/
	$(PY) -m tests.e2e.screenshots --out build/screenshots/playground

bench: $(STAMP)
	$(PY) -m bench.throughput

clean:
	rm -rf $(VENV) var build tools/node_modules
