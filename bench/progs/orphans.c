/* The COMMAND of the orphan-reaping benchmark: `orphans N` forks a child,
 * which forks N grandchildren that exit at once and then exits itself
 * without waiting for them. The N zombies are reparented to the PID
 * namespace's PID 1 (the init under test), which must reap them all.
 * Exits 0 once the child is reaped, so by then every orphan belongs to
 * PID 1; nonzero (with a message) if a fork fails. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	int status;
	pid_t child = fork();

	if (child < 0) {
		perror("orphans: fork");
		return 1;
	}
	if (child == 0) {
		for (long i = 0; i < n; i++) {
			pid_t g = fork();

			if (g == 0)
				_exit(0);
			if (g < 0) {
				perror("orphans: fork (grandchild)");
				_exit(1);
			}
		}
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
