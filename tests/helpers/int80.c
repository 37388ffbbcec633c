/*
 * int80: getpid through the i386 entry (int 0x80, i386 syscall 20) of an
 * x86_64 process. Prints what it returned and exits 0. Under the jail the
 * filter's bad-arch action kills it with SIGSYS (status 159): a syscall of a
 * foreign ABI means another call than its number says on x86_64.
 */
#include <stdio.h>

int main(void)
{
	long r;

	/* The compat entry zeroes r8-r11 on return. */
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(20L) : "r8", "r9", "r10", "r11", "memory");
	printf("int80: getpid returned %ld\n", r);
	return 0;
}
