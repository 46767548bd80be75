# dqmig developer entry points. `make demo` and `make test` are the two commands a new
# contributor needs; `make deps` installs the Debian packages they rely on.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := build

CARGO ?= cargo
DEB_PACKAGES := libdqlite-dev pkg-config go-dqlite
DQMIG := $(CARGO) run --quiet --manifest-path $(CURDIR)/Cargo.toml --bin dqmig --

.PHONY: deps build lint test soak demo bench clean

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

## lint: rustfmt, clippy and the docs, warnings as errors (CI runs it before the tests)
lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

## test: lint, then every test of the workspace; fails if any check or test fails
test: deps lint
	$(CARGO) test --workspace --no-fail-fast

## soak: the crash tests with 200 SIGKILL points per command and node kind instead of the 20
## of `make test` (DQMIG_KILL_POINTS; DQMIG_CRASH_SEED=N replays a run's kill points)
soak: deps
	DQMIG_KILL_POINTS=$${DQMIG_KILL_POINTS:-200} $(CARGO) test -p dqmig-cli --test it crash:: -- --nocapture

## demo: init a project, run examples/migrations end to end on an embedded node, then the ORM blog example
demo: deps build
	@port=""
	for _ in $$(seq 1 200); do
	  p=$$(( 20000 + RANDOM % 20000 ))
	  if ! (exec 3<>"/dev/tcp/127.0.0.1/$$p") 2>/dev/null; then port=$$p; break; fi
	done
	if [ -z "$$port" ]; then echo "demo: found no free port on 127.0.0.1" >&2; exit 2; fi
	dir=$$(mktemp -d "$${TMPDIR:-/tmp}/dqmig-demo.XXXXXX")
	trap 'rm -rf "$$dir"' EXIT
	# Echo a command as typed (arguments with spaces quoted), then run it.
	show() { echo; printf '$$ dqmig'; for a in "$$@"; do case "$$a" in *" "*) printf ' "%s"' "$$a";; *) printf ' %s' "$$a";; esac; done; echo; }
	dqmig() { show "$$@"; $(DQMIG) "$$@"; }
	# Runs a command that exits 1 when it finds a difference; any other failure stops the demo.
	dqmig_check() { show "$$@"; rc=0; $(DQMIG) "$$@" || rc=$$?; echo "(exit $$rc)"; [ "$$rc" -le 1 ]; }
	echo "== 1. A new project: dqmig init writes dqmig.toml, models.toml and migrations/"
	mkdir "$$dir/myapp"
	cd "$$dir/myapp"
	dqmig init --address "127.0.0.1:$$port"
	echo
	echo "\$$ find . -type f"
	find . -type f | sort
	echo
	echo "== The mission's four commands, in that project (its own embedded node, data in .dqmig/)"
	dqmig revision --autogenerate -m "Add users"
	dqmig upgrade head
	dqmig downgrade -1
	cd "$(CURDIR)/examples/migrations"
	export DQMIG_URL="dqlite:///127.0.0.1:$$port$$dir/example/example.db"
	echo
	echo "== 2. examples/migrations: six revisions with two table rebuilds, a branch and its merge"
	echo "   (embedded node on $$DQMIG_URL, started and stopped by each command)"
	dqmig heads
	dqmig branches
	dqmig upgrade head
	dqmig history -i
	dqmig current -v
	dqmig downgrade -1
	dqmig current
	dqmig_check check
	dqmig history --applied
	dqmig upgrade head --sql --transaction all | head -n 20
	echo "..."
	dqmig upgrade head
	dqmig_check check
	dqmig_check current --check-heads
	echo
	echo "== 3. examples/blog: the seed's User and Post on the ORM (its own embedded node, free port, temp dir)"
	echo "\$$ cargo run -p blog"
	$(CARGO) run --quiet --manifest-path $(CURDIR)/Cargo.toml -p blog

## bench: this client + embedded node vs go-dqlite's dqlite-benchmark (kvwrite, kvreadwrite),
## the TLS overhead on point reads and single-row writes (vs plain TCP, same run), the time to introspect 1, 100 and 500 tables, then dqmig upgrade/current/revision
## --autogenerate wall time and peak memory (vs Alembic) and a big-table rebuild (1M rows doubling),
## then the ORM: get by primary key vs the raw client, 10,000 rows into structs vs raw rows
bench: deps
	$(CARGO) bench --bench kv
	$(CARGO) bench --bench tls
	$(CARGO) bench --bench introspect
	$(CARGO) bench --bench migrate
	$(CARGO) bench --bench orm

## clean: remove build output
clean:
	$(CARGO) clean
