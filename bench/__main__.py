"""`python -m bench`: the whole benchmark suite (bench/suite.py), what `make bench` runs."""

from bench.suite import main

main()
