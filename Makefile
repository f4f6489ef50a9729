# LoadLab: the two commands a newcomer needs are `make demo` and `make test`.
# Every target installs what it needs first, so a fresh clone works.

NPM ?= npm
NODE ?= node
LOADLAB := $(NODE) harness/bin/loadlab.js

.PHONY: help install test-deps docker-up build demo test typecheck bench bench-soak doctor clean

help:
	@echo "make demo    run the quickstart scenario (local processes) and open its HTML report"
	@echo "make test    typecheck, build and run every test"
	@echo "make bench   run the benchmarks (throughput ratios, engine accuracy, containers)"
	@echo "make bench-soak  10-minute soak at 2,000 req/s: harness memory must stay flat"
	@echo "make doctor  check this machine for optional pieces (Docker, k6, Chromium, Redis, ...)"

# Installs exactly the lock file's versions, and only when package.json or the lock changed
# since the last install: re-running is cheap.
node_modules/.installed: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $@

install: node_modules/.installed

# Debian packages the tests need (as root: installed; otherwise the exact command is printed).
test-deps:
	.ci/install-deps

build: install
	$(NPM) run build

# Docker for the container tests: dockerd started when it does not answer, images built (cached).
docker-up: build
	.ci/docker-up

demo: build
	$(LOADLAB) run quickstart --open

test: install test-deps docker-up
	$(NPM) test

typecheck: install
	$(NPM) run typecheck

# Every benchmark runs even when an earlier one misses its target; the target fails at the end.
BENCHES := system-under-test/bench/replica-vs-hello.ts system-under-test/bench/balancer-throughput.ts harness/src/bench/engine-bench.ts harness/src/bench/containers-bench.ts
bench: build docker-up
	@failed=""; for b in $(BENCHES); do echo "== $$b"; npx tsx $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "benchmarks below target:$$failed"; exit 99; fi

bench-soak: build
	npx tsx harness/src/bench/soak-bench.ts

doctor: build
	$(LOADLAB) doctor

clean:
	rm -rf system-under-test/dist harness/dist
