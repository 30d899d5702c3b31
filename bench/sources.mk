BENCH_SRC := $(wildcard bench/*/*.c)
