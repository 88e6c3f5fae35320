/* T, the do-nothing program of the start-up benchmark: exit_group(0) in
 * three instructions, no libc, static. Its own run time is measured too and
 * subtracted from every start-up figure, so only the launcher's cost is
 * compared. Built by bench.py with `cc -nostdlib -static`. */
	.globl	_start
	.text
_start:
#if defined(__x86_64__)
	xor	%edi, %edi	/* status 0 */
	mov	$231, %eax	/* __NR_exit_group */
	syscall
#elif defined(__aarch64__)
	mov	x0, #0		/* status 0 */
	mov	x8, #94		/* __NR_exit_group */
	svc	#0
#else
#error "T: add exit_group(0) for this architecture"
#endif
