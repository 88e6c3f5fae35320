/* The COMMAND of the PID-1 memory benchmark: say "up" with one byte on
 * stdout, then sleep until stdin reaches end-of-file, then exit 0.
 * bench.py reads the byte, measures the namespace's PID 1 while this
 * sleeps, and closes the pipe to end the run: no timeouts, no signals. */
#include <unistd.h>

int main(void)
{
	char c;

	if (write(1, "u", 1) != 1)
		return 1;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
