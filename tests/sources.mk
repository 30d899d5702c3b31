UNIT_SRC := $(wildcard tests/unit/test_*.c)
FIXTURE_SRC := $(wildcard tests/fixtures/*.c)
