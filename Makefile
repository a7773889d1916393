# Development and CI entry points. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
export PIP_DISABLE_PIP_VERSION_CHECK := 1

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Inside the venv, so deleting .venv also forgets that the dependencies were installed.
DEPS_STAMP := $(VENV)/.deps-installed
PYTEST_WORKERS ?= 2
ARGS ?=

# Tests and benchmarks: PostgreSQL and Redis on loopback (started by .ci/services.sh).
# Tasks run eagerly; the tests that need a real worker use their own queues on this broker.
TEST_ENV := \
	DATABASE_URL=postgres://root@127.0.0.1:5432/coordinator \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
	CELERY_TASK_ALWAYS_EAGER=true \
	EMAIL_URL=locmem:// \
	DJANGO_ALLOW_ASYNC_UNSAFE=true \
	CHROMIUM_PATH=/usr/bin/chromium \
	SCREENSHOT_DIR=$(CURDIR)/test-results

# Production-shaped values for `check --deploy`. The .invalid hosts never resolve: the check
# must not connect to anything. The -u flags keep a developer's shell from loosening it.
DEPLOY_ENV := \
	-u DJANGO_ALLOW_PLAINTEXT_SERVICES -u DJANGO_SECURE_SSL_REDIRECT -u DJANGO_SECRET_KEY_FILE \
	DJANGO_DEBUG=false \
	DJANGO_SECRET_KEY=check-deploy-only-not-a-secret-6f1c9a3e8b2d4f70a5c1e9b7d3f2a8c4e6b0d9f1 \
	DJANGO_ALLOWED_HOSTS=coordinator.example.com \
	DJANGO_CSRF_TRUSTED_ORIGINS=https://coordinator.example.com \
	'DATABASE_URL=postgres://coordinator:unused@db.invalid:5432/coordinator?sslmode=require' \
	'CELERY_BROKER_URL=rediss://redis.invalid:6379/0?ssl_cert_reqs=required' \
	'CELERY_RESULT_BACKEND=rediss://redis.invalid:6379/1?ssl_cert_reqs=required' \
	EMAIL_URL=smtps://mailer:unused@smtp.invalid:465

.NOTPARALLEL:
.PHONY: help run worker test services lint format migrations-check check-deploy pytest bench clean distclean

help:
	@echo "make run           venv + deps, migrate, load demo data, runserver on 127.0.0.1:8000 (no services)"
	@echo "make worker        beside make run: a Celery worker and beat that send the demo's reminders"
	@echo "make test          system packages + PostgreSQL/Redis, lint, migrations check, check --deploy, pytest"
	@echo "                   extra pytest arguments: make test ARGS='-k foo'"
	@echo "make lint          ruff check and ruff format --check"
	@echo "make format        ruff check --fix, then ruff format"
	@echo "make check-deploy  manage.py check --deploy with production-shaped settings"
	@echo "make bench         every benchmarks/*.py against PostgreSQL and Redis"
	@echo "make clean         caches and build output (distclean: also .venv)"

# A failed venv (Debian without python3-venv) must not leave a half-made .venv that make trusts.
$(PY):
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "Could not create $(VENV). On Debian/Ubuntu run: apt-get install -y python3-venv" >&2; \
	  exit 1; }

# uv installs in seconds where pip takes half a minute; pip remains the fallback.
$(DEPS_STAMP): pyproject.toml | $(PY)
	@echo "installing dependencies into $(VENV)"
	@[ -x $(VENV)/bin/uv ] || $(PY) -m pip install -q uv || echo "uv unavailable; using pip"
	@if [ -x $(VENV)/bin/uv ] && $(VENV)/bin/uv pip install -q --python $(PY) -e '.[dev]'; then :; \
	else $(PY) -m pip install -q -e '.[dev]'; fi
	@touch $@

run: $(DEPS_STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:8000

# Follow-up reminders for the demo: a worker with beat on the development database, sending
# through Redis (started if needed); emails and texts print here. Run beside `make run`.
# One process: SQLite (the development database) takes one writer at a time.
worker: services $(DEPS_STAMP)
	CELERY_BROKER_URL=redis://127.0.0.1:6379/0 CELERY_TASK_ALWAYS_EAGER=false \
	  $(VENV)/bin/celery -A coordinator worker -B -Q coordinator,reminders -l info --concurrency 1 \
	  --schedule $(CURDIR)/.celerybeat-schedule

services:
	@bash .ci/services.sh

lint: $(DEPS_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEPS_STAMP)
	-$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: services $(DEPS_STAMP)
	env $(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

check-deploy: $(DEPS_STAMP)
	env $(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING

# Exit 5 (nothing collected) counts as a failure: a typo in -k must not pass CI.
pytest: services $(DEPS_STAMP)
	@mkdir -p test-results
	@rc=0; env $(TEST_ENV) $(PY) -m pytest -p no:cacheprovider -n $(PYTEST_WORKERS) -ra $(ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

# Prerequisites run once each, in this order (.NOTPARALLEL); the first failure stops the rest.
test: services $(DEPS_STAMP) lint migrations-check check-deploy pytest
	@echo "make test: all passed"

bench: services $(DEPS_STAMP)
	@shopt -s nullglob; files=(benchmarks/*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "no benchmarks/*.py"; exit 0; fi; \
	env $(TEST_ENV) $(PY) manage.py migrate --noinput -v 0; \
	for f in "$${files[@]}"; do echo "=== $$f"; env $(TEST_ENV) PYTHONPATH=$(CURDIR) $(PY) "$$f"; done

clean:
	rm -rf staticfiles test-results .make .ruff_cache .pytest_cache build *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
