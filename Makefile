# The two commands a new machine needs: `make run` and `make test`. Everything else is optional.

CARGO ?= cargo

.PHONY: run test contract lint deny fmt bench ci

## Start Penkom with zero configuration: SQLite in ./data, in-process live store,
## http://127.0.0.1:3000, demo accounts (passwords printed once).
run:
	PENKOM_CONTENT_DIR=content $(CARGO) run --bin penkom -- serve --demo

## Every test on SQLite and the in-process store. With PENKOM_TEST_DATABASE_URL and
## PENKOM_TEST_REDIS_URL set, the same tests run on PostgreSQL and Redis. The browser tests run
## when chromium and chromedriver are installed (apt-get install -y chromium chromium-driver),
## with axe-core from tests/browser (installed here by npm when missing); otherwise they are
## skipped, and this says so.
test:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
	  if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null 2>&1; then \
	    npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; \
	  fi; \
	else \
	  echo "make test: chromium or chromedriver not installed: the browser tests are SKIPPED"; \
	  echo "           (apt-get install -y chromium chromium-driver to run them)"; \
	fi
	$(CARGO) test --workspace

## The OpenAPI contract: schemathesis (pinned, installed into target/ by pip) sends generated
## requests to a fresh server and checks every answer against /api/v1/openapi.json. SQLite by
## default; PostgreSQL and Redis with PENKOM_TEST_DATABASE_URL and PENKOM_TEST_REDIS_URL set.
contract:
	tests/schemathesis/run

## Formatting and lints, as CI checks them.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## Licences, bans and sources of every dependency (deny.toml; needs cargo-deny, which CI
## installs). Advisories need GitHub: `cargo deny check advisories` where it is reachable.
deny:
	$(CARGO) deny check --hide-inclusion-graph licenses bans sources

fmt:
	$(CARGO) fmt --all

## Benchmarks, in release mode: heartbeat throughput, latency and memory of the real server
## (in-process store and Redis) against a minimal reference server, and the yearly compliance
## report on PostgreSQL (100,000 people, 1,000,000 ledger entries), the learner's dashboard
## page with a year of entries, the bulk verifier with 1,000 credentials on one core, and
## post-test submissions on PostgreSQL. Every benchmark runs even if an earlier one missed its
## target; the target then fails at the end. See BENCHMARKS.md.
bench:
	$(CARGO) build --release --bin penkom
	$(CARGO) build --release -p loadgen
	@missed=""; \
	./target/release/loadgen || missed="$$missed loadgen"; \
	./target/release/report_bench || missed="$$missed report_bench"; \
	./target/release/web_bench || missed="$$missed web_bench"; \
	taskset -c 0 ./target/release/verify_bench || missed="$$missed verify_bench"; \
	./target/release/submit_bench || missed="$$missed submit_bench"; \
	if [ -n "$$missed" ]; then echo "make bench: failed or missed a target:$$missed"; exit 1; fi

## What CI runs: lints, then the suite on SQLite, then on PostgreSQL and Redis.
ci:
	bash .ci/run
