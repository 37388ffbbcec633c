/*
 * x32: getpid (39) with the x32 bit (0x40000000) set, through the syscall
 * instruction. Prints what it returned (-38, ENOSYS, on kernels built without
 * x32) and exits 0. Under the jail the filter kills it with SIGSYS (status
 * 159): x32 numbers are a second syscall table a deny list would not cover.
 */
#include <stdio.h>

int main(void)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "0"(39L | 0x40000000L) : "rcx", "r11", "memory");
	printf("x32: getpid returned %ld\n", r);
	return 0;
}
