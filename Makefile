# hakit.redis developer entry points. `make help` lists them.
# Every target that needs tooling runs scripts/bootstrap.sh first (idempotent, fast when done)
# and scripts/env.sh, which puts the venv on PATH and makes this tree the collection hakit.redis.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

TOPOLOGY ?= 4
EXPORTER ?= 0
# make lab DISTRO=trixie ENGINE=valkey: Debian 13 containers, Valkey (ENGINE=valkey implies trixie)
DISTRO ?=
ENGINE ?=
SCENARIOS ?=
ENV := source scripts/env.sh

.PHONY: help lab lab-down test test-full test-matrix lint sanity unit ecosystem docs molecule chaos bench install-test clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  variables: TOPOLOGY=1..4, DISTRO=bookworm|trixie, ENGINE=redis|valkey, EXPORTER=1 (lab), SCENARIOS=\"topology1 ...\" (molecule, test), MATRIX=\"2.18 2.19\" (test-matrix)"
	@sed -n 's/^ALL_STAGES=(bootstrap \(.*\))$$/  make test stages: \1/p' scripts/test.sh

lab: ## From nothing: venv, docker, base image, topology TOPOLOGY (default 4) in containers, health table (EXPORTER=1: with the exporter)
	@EXPORTER=$(EXPORTER) DISTRO=$(DISTRO) ENGINE=$(ENGINE) scripts/lab.sh up $(TOPOLOGY)

lab-down: ## Remove the lab containers and network
	@scripts/lab.sh down

test: ## Every check in stages with a timing table (STAGES="unit molecule" picks some)
	@scripts/test.sh

test-full: ## make test with the whole chaos suite (and its TLS lab) and the full-only scenarios (scripts/test.sh FULL_ONLY_SCENARIOS)
	@HAKIT_CHAOS_ALL=1 scripts/test.sh

lint: ## yamllint, ansible-lint (production profile), ruff
	@STAGES="yamllint ansible-lint ruff" scripts/test.sh

sanity: ## ansible-test sanity from a temporary ansible_collections/hakit/redis copy
	@STAGES=sanity scripts/test.sh

unit: ## pytest tests/unit
	@STAGES=unit scripts/test.sh

ecosystem: ## Galaxy importer, antsibull-docs lint, ansible-builder create (docs/ecosystem.md)
	@STAGES="galaxy-importer docs-lint execution-environment" scripts/test.sh

docs: ## HTML docs of modules, filters and roles (antsibull-docs) into .cache/docs/build/html
	@scripts/bootstrap.sh venv
	@scripts/ecosystem.sh docs

test-matrix: ## sanity, unit and molecule topology1 per supported ansible-core (MATRIX="2.18 2.19")
	@scripts/bootstrap.sh venv
	@scripts/matrix.sh

molecule: ## molecule test for each of $(SCENARIOS) (default: every scenario)
	@STAGES=molecule SCENARIOS="$(SCENARIOS)" scripts/test.sh

chaos: ## The full chaos suite against its own topology-4 containers (slow)
	@scripts/bootstrap.sh
	@[[ -d tests/chaos ]] || { echo "make chaos: FAILED, tests/chaos does not exist" >&2; exit 1; }
	@$(ENV); HAKIT_CHAOS_ALL=1 pytest -v tests/chaos

bench: ## Converge/re-run/failover figures into bench/results (bench/run.sh)
	@scripts/bootstrap.sh
	@[[ -x bench/run.sh ]] || { echo "make bench: FAILED, bench/run.sh is missing or not executable" >&2; exit 1; }
	@$(ENV); bench/run.sh

install-test: ## Build, offline-install and converge the collection from outside the repo
	@STAGES=install scripts/test.sh

clean: ## Remove caches, build artefacts and test output (keeps the venv and the image)
	@scripts/lab.sh down >/dev/null 2>&1 || true
	rm -rf .cache tests/output .pytest_cache .ruff_cache hakit-redis-*.tar.gz
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
