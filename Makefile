# Convenience wrappers around ./dev.sh (which needs nothing but a POSIX shell and Python).
.PHONY: setup demo test bench
setup:
	./dev.sh setup
demo:
	./dev.sh demo
test:
	./dev.sh test
bench:
	./dev.sh setup && .venv/bin/python benchmarks/run_all.py
