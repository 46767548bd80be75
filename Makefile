# dqmig developer entry points. `make demo` and `make test` are the two commands a new
# contributor needs; `make deps` installs the Debian packages they rely on.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := build

CARGO ?= cargo
DEB_PACKAGES := libdqlite-dev pkg-config go-dqlite
DQMIG := $(CARGO) run --quiet --bin dqmig --

.PHONY: deps build test demo bench clean

## deps: install libdqlite-dev, pkg-config and go-dqlite (apt-get) if anything is missing
deps:
	@missing=0
	command -v pkg-config >/dev/null 2>&1 && pkg-config --exists dqlite || missing=1
	command -v dqlite-demo >/dev/null 2>&1 || missing=1
	command -v dqlite >/dev/null 2>&1 || missing=1
	if [ "$$missing" = 0 ]; then
	  echo "deps: libdqlite-dev, pkg-config and go-dqlite are present"
	  exit 0
	fi
	if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
	echo "deps: installing $(DEB_PACKAGES) with apt-get"
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEB_PACKAGES)

## build: compile the workspace (library, dqmig binary, tests, benches)
build: deps
	$(CARGO) build --workspace --all-targets

## test: every test of the workspace; fails if any test fails
test: deps
	$(CARGO) test --workspace --no-fail-fast

## demo: start an embedded node on a free port and drive it with `dqmig sql`
demo: deps build
	@port=""
	for _ in $$(seq 1 200); do
	  p=$$(( 20000 + RANDOM % 20000 ))
	  if ! (exec 3<>"/dev/tcp/127.0.0.1/$$p") 2>/dev/null; then port=$$p; break; fi
	done
	if [ -z "$$port" ]; then echo "demo: found no free port on 127.0.0.1" >&2; exit 2; fi
	dir=$$(mktemp -d "$${TMPDIR:-/tmp}/dqmig-demo.XXXXXX")
	trap 'rm -rf "$$dir"' EXIT
	url="dqlite:///127.0.0.1:$$port$$dir/demo.db"
	echo "== embedded node: $$url"
	echo "== dqmig sql \"CREATE TABLE users (...)\""
	$(DQMIG) sql --url "$$url" "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, avatar BLOB)"
	echo "== dqmig sql \"INSERT INTO users ...\""
	$(DQMIG) sql --url "$$url" "INSERT INTO users (name, score, avatar) VALUES ('alice', 1.5, x'0102ff'), ('bob', NULL, NULL)"
	echo "== dqmig sql \"SELECT * FROM users\""
	$(DQMIG) sql --url "$$url" "SELECT * FROM users ORDER BY id"
	echo "== dqmig sql --json \"SELECT * FROM users\""
	$(DQMIG) sql --url "$$url" --json "SELECT * FROM users ORDER BY id"
	echo "== dqmig sql \"SELECT sqlite_version()\""
	$(DQMIG) sql --url "$$url" "SELECT sqlite_version()"
	echo
	echo "Not built yet (they arrive with later issues): dqmig init, dqmig revision --autogenerate,"
	echo "dqmig upgrade, dqmig downgrade. This demo will run them once they exist."

## bench: this client + embedded node vs go-dqlite's dqlite-benchmark (kvwrite, kvreadwrite)
bench: deps
	$(CARGO) bench --bench kv

## clean: remove build output
clean:
	$(CARGO) clean
