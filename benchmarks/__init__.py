"""Speed and memory benchmarks, run by `make bench`; they print numbers and never assert on time."""
