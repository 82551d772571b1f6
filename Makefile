# Two commands: `make run` starts the bot, `make test` runs the whole suite. Both create .venv.
#
# Python: the newest supported interpreter on this machine (3.13, then 3.12, then 3.11: tools/pythons.sh);
# an existing .venv keeps its interpreter while that is a supported one (`make clean` to start over, or
# `make test PYTHON=python3.12 VENV=.venv-3.12` for another). Packages: exactly the versions in
# requirements/dev.lock, checked against their hashes; the project itself is installed without deps.
PYTHON ?= $(shell tools/pythons.sh --newest)
OLDEST_PYTHON ?= $(shell tools/pythons.sh | tail -1)
VENV ?= .venv
PY := $(VENV)/bin/python
LOCK := requirements/dev.lock
STAMP := $(VENV)/.installed
NODE_STAMP := tools/node_modules/.installed
PORT ?= 3978
# The tests that need neither Node nor a bot run: rules, the HTTP guard, tokens, the wire format.
CORE_TESTS := tests/domain tests/test_http_guard.py tests/test_auth.py tests/test_wire.py
SUPPORTED_PY := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))

.PHONY: run test test-core test-floors lint lock playground package bench screenshots clean doctor

$(STAMP): pyproject.toml $(LOCK)
	@if ! $(PY) -c '$(SUPPORTED_PY)' 2>/dev/null; then \
		test -n "$(PYTHON)" || { echo "no supported Python (3.11-3.13) found" >&2; exit 1; }; \
		rm -rf $(VENV); echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); fi
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(NODE_STAMP): tools/package.json tools/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tools --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm not found: card/manifest validation and Playground tests will skip"; fi

run: $(STAMP)
	mkdir -p var
	SSPF_COORDINATORS=$${SSPF_COORDINATORS-*/00000000-0000-0000-0000-0000000000020} PORT=$(PORT) $(VENV)/bin/sspf-bot

test: $(STAMP) $(NODE_STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest -q $(PYTEST_ARGS)

# The domain + HTTP tests only (CI runs them on the other supported Pythons).
test-core: $(STAMP)
	$(PY) -m pytest -q $(CORE_TESTS) $(PYTEST_ARGS)

# The declared minimum versions (requirements/floors.txt) on the oldest supported Python, in their own venv.
test-floors:
	rm -rf .venv-floors
	$(OLDEST_PYTHON) -m venv .venv-floors
	.venv-floors/bin/python -m pip install --quiet -c requirements/floors.txt -e ".[dev]"
	.venv-floors/bin/python -m pip check
	.venv-floors/bin/python -m pytest -q $(CORE_TESTS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Regenerate the lockfiles after a change of pyproject.toml's dependencies (uv: one universal lock,
# with hashes, valid on 3.11-3.13; plain pip installs it). `make lock UPGRADE=--upgrade` takes new releases.
lock: $(STAMP)
	$(PY) -m pip install --quiet uv==0.13.8
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" $(UPGRADE) -o requirements/dev.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra bench --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" $(UPGRADE) -o requirements/bench.lock

# The Playground's own port; it does not notice a port already taken, so check first.
PLAYGROUND_PORT ?= 56150
playground: $(NODE_STAMP)
	@python3 -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", $(PLAYGROUND_PORT)))' 2>/dev/null || { \
		echo "Port $(PLAYGROUND_PORT) is already in use. Stop what runs there, or choose another port:" \
			"make playground PLAYGROUND_PORT=56151" >&2; exit 1; }
	TEAMSAPPTESTER_BROWSER=none tools/node_modules/.bin/agentsplayground \
		-e http://127.0.0.1:$(PORT)/api/messages -c msteams --dt -p $(PLAYGROUND_PORT)

package: $(STAMP) $(NODE_STAMP)
	$(PY) tools/build_package.py $(if $(MicrosoftAppId),,--local)

screenshots: $(STAMP) $(NODE_STAMP)
	mkdir -p build
	$(PY) tools/sample_cards.py > build/cards.json
	node tools/render_cards.js build/cards.json build/screenshots/
	$(PY) -m tests.e2e.screenshots --out build/screenshots/playground

# Benchmarks compare with stock botbuilder (the `bench` extra), locked like the rest.
bench: $(STAMP)
	$(PY) -m pip install --quiet --require-hashes -r requirements/bench.lock
	$(PY) -m bench.throughput

doctor: $(STAMP)
	$(PY) -m bot.doctor $(DOCTOR_ARGS)

clean:
	rm -rf $(VENV) .venv-* var build tools/node_modules
