"""reelmake benchmarks: each stage against its floor, measured in turn in one run."""
