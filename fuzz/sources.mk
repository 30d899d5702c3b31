# Fuzz harnesses (libFuzzer, always under ASan+UBSan) for the parsers that
# take outside bytes. `make fuzz` builds them into build/fuzz/ and runs each
# for FUZZ_SECONDS over its seed corpus in fuzz/corpus/<name>/; what the
# fuzzer learns goes to build/fuzz/corpus/, crashes to build/fuzz/crashes/.
# Every harness links the same small set of parsers.
FUZZ_NAMES := framing parse lines deploy h1head h1resp
FUZZ_LIB   := lib/h1head.c lib/h1chunk.c lib/h1resp.c lib/framing.c lib/parse.c lib/lines.c lib/buf.c lib/xalloc.c lib/log.c \
              lib/base64.c gateway/model.c
FUZZ_PKGS  := jansson
