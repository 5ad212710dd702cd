# The two commands a newcomer needs: `make run` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-real-llm install lint openapi web-ci fake-llm

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# The API on :8000 (embedded PostgreSQL unless DATABASE_URL is set) and the web app on :3000.
run: $(STAMP)
	bash frontend/scripts/run.sh $(VENV)/bin/coderai

test: $(STAMP)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# A real sample job against llama-cpp-python's server on Gemma 3 270M (README, "Real model
# servers"); its venv is built once under ~/.cache/coderai (minutes) and reused.
test-real-llm: $(STAMP)
	VENV=$(VENV) bash backend/tests/real_llm/run.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check backend
	$(VENV)/bin/ruff format --check backend
	$(VENV)/bin/mypy backend/coderai
	cd backend && $(abspath $(VENV))/bin/lint-imports --no-cache ../pyproject.toml
	$(VENV)/bin/hadolint docker/Dockerfile docker/web.Dockerfile
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker/compose.yaml

# The fake OpenAI-compatible LLM, to try the app without a model (README, "Testing against a
# fake LLM"): `make fake-llm FAKE_LLM_ARGS="--facts facts.json"`.
FAKE_LLM_ARGS ?=
fake-llm: $(STAMP)
	cd backend && $(abspath $(PY)) -m tests.support.fake_llm $(FAKE_LLM_ARGS)

openapi: $(STAMP)
	$(VENV)/bin/coderai openapi --output specs/openapi.json
	cd frontend && npm run --silent gen:api

# The web app's checks: API types current, typecheck, lint, unit tests, build, e2e in Chromium.
web-ci: $(STAMP)
	bash frontend/scripts/ci.sh
