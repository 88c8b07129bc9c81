/* hello.c - the baseline of the start-up benchmarks: a C program that only
 * prints a line, linked like any other program on this machine. */
#include <stdio.h>

int
main(void)
{
	puts("sk-ant-oat01-baseline-not-a-token");
	return 0;
}
