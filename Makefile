# Two verbs matter: `make run` (set up and serve the lab) and `make test` (set up and run every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Compiled modules are cached (__pycache__) whatever the shell sets: otherwise every test worker, server and gateway
# process compiles the lab again, and pytest rewrites every test module's asserts again (~5 s of CPU a worker).
export PYTHONDONTWRITEBYTECODE :=
# the AWS endpoint at the root path of a port of its own (clients that sign `/`, IMDS by host name for the JS SDK)
AWS_PORT ?= 8001

.PHONY: install check-console run dev class instructor topology typecheck test test-fast migrations-check check-deploy bench bench-load bench-topology clean

# Wheels only for the XML stack: lxml and xmlsec must link the same libxml2 (see README).
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q --only-binary lxml,xmlsec,cryptography -r requirements-dev.txt
	$(PY) -c "import lxml.etree, xmlsec; print('lxml/xmlsec libxml2 pairing OK')"
	touch $@

install: $(VENV)/.installed

# The in-browser AWS CLI console runs each command in a bubblewrap sandbox (Debian: apt-get install bubblewrap);
# without bwrap it stays off and says so (LAB_CONSOLE=unsandboxed accepts the weaker mode). README, "The console".
check-console:
	@command -v bwrap >/dev/null 2>&1 || echo "note: bubblewrap (bwrap) is not installed: the in-browser AWS CLI \
	console stays off (apt-get install bubblewrap; or LAB_CONSOLE=unsandboxed to accept the weaker mode)"

# DEBUG off: a stranger never sees Django's technical pages (paths, settings); `make dev` turns it on.
DEBUG ?= False

run: install check-console
	$(PY) manage.py migrate --noinput
	# gunicorn, one process, threads (securecart/server.py: why not runserver)
	DEBUG=$(DEBUG) LAB_AWS_ROOT_URL=http://$(HOST):$(AWS_PORT) LAB_PUBLIC_AWS_URL=http://$(HOST):$(PORT)/aws \
	  $(PY) manage.py serve --bind $(HOST):$(PORT) \
	  --also $(HOST):$(AWS_PORT)=securecart.aws_root:application

# `make run` for developers: Django's technical error pages, on this machine only.
dev:
	$(MAKE) run DEBUG=True

# A classroom: gunicorn (one process, threads) on this machine's addresses; prints the URL students type + a QR.
class: install check-console
	$(PY) scripts/serve_class.py --port $(PORT)

# An instructor for `make class`, on a fresh clone too: installs, sets up the database, creates NAME (asks a
# password, or INSTRUCTOR_PASSWORD) and grants the permission to run a class. `make instructor NAME=iris`
NAME ?=
instructor: install
	@test -n "$(NAME)" || { echo "usage: make instructor NAME=username"; exit 2; }
	$(PY) manage.py instructor $(NAME) --create

# The sharded topology on this machine: PostgreSQL, Redis, 2 gateways, gunicorn -w 2 (README, "Deploying beyond one
# process"); PORT for the site, the next ports for the others.
topology: install
	$(PY) scripts/topology.py --port $(PORT)

# mypy --strict over engine/ and gateway/ (mypy.ini says which checks a module still has off, a list that only shrinks)
typecheck: install
	$(PY) -m mypy

test: install check-deploy typecheck
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

# The layers under the web (engine, gateway) and the docs, without tests that start processes or take seconds:
# under a minute on 2 cores, for the edit-test loop; `make test` is the gate.
test-fast: install
	$(PY) -m pytest tests/engine tests/gateway tests/manuals -m "not browser and not integration and not slow"

check-deploy: install
	DJANGO_SETTINGS_MODULE=securecart.settings.production SECRET_KEY=check-only-$$(date +%s)-not-a-real-secret-0123456789abcdef \
	  ALLOWED_HOSTS=lab.example.com $(PY) manage.py check --deploy --fail-level WARNING

bench: install
	$(PY) scripts/bench_policy.py
	$(PY) scripts/bench_gateway.py
	$(PY) scripts/bench_fairness.py
	$(PY) scripts/bench_cloudtrail.py
	$(PY) scripts/bench_console.py
	$(PY) scripts/bench_classroom.py
	$(PY) scripts/bench_sandbox.py
	$(PY) scripts/bench_roundtrips.py
	$(PY) scripts/bench_graph.py

bench-load: install
	$(PY) scripts/bench_load.py --learners 100

# The load benchmark against the sharded topology with 1 gateway, then 2; then the gateway tier alone, 1 then 2
bench-topology: install
	$(PY) scripts/bench_load.py --topology 1,2 --learners 100
	$(PY) scripts/bench_shards.py

clean:
	rm -rf $(VENV) .pytest_cache
