# LoadLab: the two commands a newcomer needs are `make demo` and `make test`.
# Every target installs what it needs first, so a fresh clone works.

NPM ?= npm
NODE ?= node
LOADLAB := $(NODE) harness/bin/loadlab.js

.PHONY: help install test-deps bench-deps docker-up build demo test test-under-load typecheck lint bench bench-soak bench-gates doctor clean k8s-test-cluster

help:
	@echo "make demo    run the quickstart scenario (local processes) and open its HTML report"
	@echo "make test    lint, typecheck, build and run every test"
	@echo "make lint    the linter and the layer check (imports only run down)"
	@echo "make test-under-load  the suite RUNS=10 times with both cores kept busy; prints every failure"
	@echo "make bench   run the benchmarks (throughput ratios, engines vs autocannon and Vegeta, load agents, containers)"
	@echo "make bench-soak  10-minute soak at 2,000 req/s: harness memory must stay flat"
	@echo "make bench-gates power of the CI baseline gate: false alarms and detection of +10/20/50% slowdowns (hours; resumable)"
	@echo "make k8s-test-cluster  a Kubernetes control plane with fake (kwok) nodes on 127.0.0.1, until Ctrl-C"
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

# What the benchmarks compare against: Vegeta, built with `go install` when Go is present.
bench-deps:
	.ci/install-deps bench

build: install
	$(NPM) run build

# Docker for the container tests: dockerd started when it does not answer, images built (cached).
docker-up: build
	.ci/docker-up

demo: build
	$(LOADLAB) run quickstart --open

test: install test-deps docker-up
	$(NPM) run lint
	$(NPM) test

# The proof that no test depends on the machine's speed: the whole suite RUNS times (default 10)
# with two busy loops at the tests' own niceness. Run it on a machine you have to yourself.
# `make test-under-load RUNS=2 TESTS=harness/test/engine-native.test.ts` runs some files only.
test-under-load: install test-deps
	harness/scripts/test-under-load.sh $(TESTS)

typecheck: install
	$(NPM) run typecheck

lint: install
	$(NPM) run lint

# Every benchmark runs even when an earlier one misses its target; the target fails at the end.
BENCHES := system-under-test/bench/replica-vs-hello.ts system-under-test/bench/balancer-throughput.ts system-under-test/bench/slow-replica-p99.ts system-under-test/bench/shard-store-bulk.ts harness/src/bench/engine-bench.ts harness/src/bench/open-engine-bench.ts harness/src/bench/http-workload-bench.ts harness/src/bench/agents-scaling-bench.ts harness/src/bench/containers-bench.ts
bench: build bench-deps docker-up
	@failed=""; for b in $(BENCHES); do echo "== $$b"; npx tsx $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "benchmarks below target:$$failed"; exit 99; fi

bench-soak: build
	npx tsx harness/src/bench/soak-bench.ts

# Collects a pool of performance-scenario runs per injected slowdown (resumable: rerun to go on),
# then judges gates formed from disjoint runs. BENCH_GATES_ROUNDS=120 is the full run (~5 h on a
# quiet 2-core machine); BENCH_GATES_EVALUATE_ONLY=1 re-judges the pool without running anything.
bench-gates: build
	npx tsx harness/src/bench/gate-power-bench.ts

# kube-apiserver, kube-controller-manager and kube-scheduler built from the Go module proxy (cached
# in .cache/k8s-test-cluster; the first build takes minutes), Debian's etcd, kwok for the nodes.
k8s-test-cluster: install test-deps
	npx tsx harness/test/k8s-cluster/k8s-test-cluster.ts

doctor: build
	$(LOADLAB) doctor

clean:
	rm -rf system-under-test/dist harness/dist
