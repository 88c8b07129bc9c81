/*
 * cutest.h - a tiny driver around CUnit's basic interface so each unit test
 * file is only its tests plus one WIF_CU_MAIN line.  The exit status is
 * non-zero when any assertion failed (the automake harness then reports
 * FAIL) and 77 (SKIP) never: a unit test that cannot run is a failure.
 */
#ifndef WIF_CUTEST_H
#define WIF_CUTEST_H

#include <CUnit/Basic.h>
#include <stdio.h>

struct cu_test {
	const char *name;
	void (*fn)(void);
};

static inline int
cu_run(const char *suite_name, const struct cu_test *tests,
       int (*init)(void), int (*cleanup)(void))
{
	CU_pSuite suite;
	unsigned failed;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	suite = CU_add_suite(suite_name, init, cleanup);
	if (suite == NULL)
		return 99;
	for (i = 0; tests[i].name != NULL; i++)
		if (CU_add_test(suite, tests[i].name, tests[i].fn) == NULL)
			return 99;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		return 99;
	failed = CU_get_number_of_tests_failed() +
	         CU_get_number_of_suites_failed();
	printf("%u passed, %u failed\n",
	       CU_get_number_of_tests_run() - CU_get_number_of_tests_failed(),
	       CU_get_number_of_tests_failed());
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

/* int main(void) running one suite; init/cleanup may be NULL. */
#define WIF_CU_MAIN(suite, tests, init, cleanup) \
	int main(void) { return cu_run((suite), (tests), (init), (cleanup)); }

#endif
