# Borealis: `make demo` runs the main job, `make test` runs the tests.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
STATIC := CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w'
TOOLS := $(GO) tool -modfile=$(CURDIR)/tools/go.mod
# Count budgets: a duration races Go 1.26's fuzz coordinator (scripts/fuzz.sh).
FUZZTIME ?= 200000x
TEST_TIMEOUT ?= 20m
FAULTS_FUZZTIME ?= 10m

.PHONY: all prereqs-test prereqs-demo build images test faults unit fuzz lint docs bench dev-server dev-server-stop worker demo demo-stop screenshot clean

all: build

## prereqs-test, prereqs-demo: what `make test` / `make demo` need, one line per missing thing
prereqs-test:
	@scripts/prereqs.sh test
prereqs-demo:
	@scripts/prereqs.sh demo

## build: bin/borealis, bin/borealis-worker, bin/borealis-runner (static), bin/borealis-demo (static)
build:
	$(GO) build -o $(BIN)/borealis ./starter
	$(GO) build -o $(BIN)/borealis-worker ./worker
	$(STATIC) -o $(BIN)/borealis-runner ./runner/cmd/borealis-runner
	$(STATIC) -o $(BIN)/borealis-demo ./images/demo

## images: borealis/base:latest (static busybox, fetched into the tool cache when the machine has none) and borealis/demo:latest, built locally
images: build
	BIN=$(BIN) images/build.sh

## test: every test, with the race detector, against real Docker and a real Temporal dev server
# The container suites (e2e, faults) run one after the other, after the rest:
# side by side they overload Docker on 2 CPUs.
test: prereqs-test build images
	BOREALIS_TEMPORAL_CLI=$$(scripts/temporal-cli.sh) BOREALIS_BIN=$(BIN) \
		$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $$($(GO) list ./... | grep -v -e '/e2e$$' -e '/faults$$')
	BOREALIS_TEMPORAL_CLI=$$(scripts/temporal-cli.sh) BOREALIS_BIN=$(BIN) \
		$(GO) test -race -count=1 -p 1 -timeout $(TEST_TIMEOUT) ./e2e/ ./faults/
	$(MAKE) fuzz

## faults: the fault-injection suite's long version (make test runs the short one), then each config fuzz target for FAULTS_FUZZTIME
faults: build images
	FAULTS_LONG=1 BOREALIS_TEMPORAL_CLI=$$(scripts/temporal-cli.sh) BOREALIS_BIN=$(BIN) \
		$(GO) test -count=1 -v -timeout 60m ./faults/
	GO=$(GO) scripts/fuzz.sh $(FAULTS_FUZZTIME) ./config

## unit: the tests that need neither Docker nor Temporal
unit:
	$(GO) test -race -count=1 ./config/... ./health/... ./jobkey/... ./runner/...

## fuzz: each fuzz target for FUZZTIME (an execution count, or a duration)
fuzz:
	GO=$(GO) scripts/fuzz.sh $(FUZZTIME) ./config ./health

## lint: gofmt, go mod tidy, go vet, staticcheck, workflowcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum not tidy: run go mod tidy"; exit 1; }
	@cd tools && $(GO) mod tidy -diff || { echo "tools/go.mod/go.sum not tidy: run go mod tidy in tools/"; exit 1; }
	$(GO) vet ./...
	$(TOOLS) staticcheck ./...
	$(TOOLS) workflowcheck ./workflows/... ./taskio/...

## docs: docs/config-reference.md, generated from the job model (a test checks it is current)
docs:
	$(GO) run ./starter config reference > docs/config-reference.md.tmp || { rm -f docs/config-reference.md.tmp; exit 1; }
	mv docs/config-reference.md.tmp docs/config-reference.md

## bench: Borealis against its peers (Swarm, --restart=always, a lower bound); BENCH_FLAGS e.g. -runs 1 -only update
bench: build images
	$(GO) run ./bench $(BENCH_FLAGS)

## dev-server: start (or reuse) the Temporal dev server; dev-server-stop stops it
dev-server:
	scripts/dev-server.sh

dev-server-stop:
	scripts/dev-server.sh stop

## worker: run the worker in the foreground
worker: build
	$(BIN)/borealis-worker

## demo: the seed's hello_world, end to end; safe to run again
demo: prereqs-demo build images dev-server
	scripts/demo.sh

## demo-stop: abort the demo's updates, kill its jobs, stop the background worker and the dev server
demo-stop:
	@for job in devcluster/www-data/prod/hello devcluster/www-data/prod/web; do \
		$(BIN)/borealis update abort $$job >/dev/null 2>&1 || true; \
		for try in 1 2 3 4 5 6 7 8 9 10; do \
			out=$$($(BIN)/borealis job killall $$job 2>&1) && { echo "$$out"; break; }; \
			case "$$out" in *updating*|*busy*) sleep 1;; *) echo "$$out"; break;; esac; \
		done; \
	done
	scripts/worker-bg.sh stop
	scripts/dev-server.sh stop

## screenshot: docs/webui.png, the Web UI page of the demo's latest update (or job), with headless Chromium; needs make demo
screenshot: build
	scripts/screenshot.sh

clean:
	rm -rf $(BIN)
