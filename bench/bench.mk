# Benchmarks: built by `make bench`, never run by `make check` (tests never
# depend on the machine's speed).  bench/README.md has the results.
EXTRA_PROGRAMS = bench/hello bench/cache_hit bench/client_rt bench/interleave
bench_hello_SOURCES = bench/hello.c
bench_cache_hit_SOURCES = bench/cache_hit.c
bench_cache_hit_LDADD = libwifcore.la
bench_client_rt_SOURCES = bench/client_rt.c
bench_client_rt_LDADD = libwif.la -lpthread
bench_interleave_SOURCES = bench/interleave.c
bench: bench/hello bench/cache_hit bench/client_rt bench/interleave
.PHONY: bench
CLEANFILES += bench/hello bench/cache_hit bench/client_rt bench/interleave
EXTRA_DIST += bench/README.md bench/run.sh bench/sdk_cached_token.mjs
