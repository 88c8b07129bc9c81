# tests/fuzz/fuzz.mk
