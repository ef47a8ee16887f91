# Sluice: few targets, each does one obvious thing. The Go version is pinned in go.mod.
GO      ?= go
GOFILES  = $(shell find . -name '*.go' -not -path './bin/*' -not -path './.git/*')

.PHONY: all build test test-short chaos lint testbed-up testbed-down demo demo-cluster bench

all: build

## build: the sluice binary in bin/
build:
	$(GO) build -o bin/sluice ./cmd/sluice

## test: every test, against the real MariaDB, Kafka and etcd of the test bed
test: testbed-up
	$(GO) test -count=1 -timeout 40m ./...

## test-short: the fast unit tests alone; needs no test bed
test-short:
	$(GO) test -short ./...

## chaos: the long form of the fault suite (kill -9 x20, Kafka down 5 min, ...); see docs/reliability.md
chaos: testbed-up
	$(GO) test -count=1 -timeout 60m -run . -v ./faults/ -chaos

## lint: gofmt, go vet, and go.mod/go.sum as go mod tidy leaves them
lint:
	@out="$$(gofmt -l $(GOFILES))"; if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy and commit the change"; exit 1; }

## testbed-up: start MariaDB, Kafka and etcd for the tests (idempotent); see docs/testbed.md
testbed-up:
	@bash testbed/up.sh

## testbed-down: stop the test bed; its data stays in $$SLUICE_BED_DIR
testbed-down:
	@bash testbed/down.sh

## demo: bring the bed up and run the demo
demo:
	@bash testbed/demo.sh

## demo-cluster: three sluice nodes, two tasks, one node killed: its task moves (docs/cluster.md)
demo-cluster:
	@bash testbed/demo-cluster.sh

## bench-cluster: cluster figures on the bed: node RSS with 2 and 10 tasks, 3 nodes against 1, etcd commit cost (docs/cluster.md)
.PHONY: bench-cluster
bench-cluster: testbed-up
	$(GO) test -count=1 -timeout 40m -run '^TestCluster_ThroughputAndMemory$$' -v ./faults/ -cluster-bench
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 300x ./store/etcdstore/

## bench: measure Sluice (and Debezium beside it) on the bed; report in bench/results/ (docs/benchmarks.md)
bench: build testbed-up
	./bin/sluice bench $(BENCH_FLAGS)

# Per-stage Go benchmarks and the callgrind count (docs/benchmarks.md, "Stage benchmarks").
.PHONY: bench-stages bench-callgrind
BENCHSTAT      = golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
BENCH_STAGES   = ^Benchmark(Stage_|Stream_Decode|CatchUp_Path|Transformer_|Partitioner_|Encode_|RecordSet_Compress|ActorWorkload_Fake)
BENCH_STAGES_OUT ?= bench/results/stages-$(shell date -u +%Y%m%d-%H%M%S).txt

## bench-stages: every stage's Go benchmark, -count=6, into $(BENCH_STAGES_OUT); compare two with benchstat
bench-stages:
	@mkdir -p $(dir $(BENCH_STAGES_OUT))
	$(GO) test -run '^$$' -bench '$(BENCH_STAGES)' -benchmem -count=6 -timeout 60m \
		./actors/binlog/binlogreader ./actors/pipeline/... ./codecs/... ./actors/sink/kafkawriter | tee $(BENCH_STAGES_OUT)
	@echo "compare two runs: go run $(BENCHSTAT) OLD.txt $(BENCH_STAGES_OUT)"

## bench-callgrind: instructions per row event of the whole catch-up path (valgrind)
bench-callgrind:
	@bash bench/callgrind.sh path
