//! Real kernel failures, no mocks: each gives one error line naming the call
//! and errno, a documented exit status, and leaves nothing behind.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use common::{bin, output_of_fresh_copy, run, text, world_executable_copy};
use syscalls::{syscall1, syscall4, Sysno};

/// Every stderr line is one of ns-tool's own, prefixed `ns-tool: `.
fn assert_error_lines(stderr: &str) {
    assert!(!stderr.is_empty(), "an error is reported");
    for line in stderr.lines() {
        assert!(
            line.starts_with("ns-tool: "),
            "stray line {line:?} in {stderr:?}"
        );
    }
}

#[test]
fn fork_fails_with_eagain_under_rlimit_nproc() {
    // As uid 65534 with a process limit of 1 (ns-tool itself), --user
    // lets unshare succeed and the kernel refuses the fork.
    let copy = world_executable_copy("nproc");
    let out = unsafe {
        output_of_fresh_copy(
            Command::new(&copy)
                .args(["pid", "--user", "--", "true"])
                .uid(65534)
                .gid(65534)
                .pre_exec(|| {
                    let limit = [1u64, 1u64];
                    // SAFETY: prlimit64(0, RLIMIT_NPROC, &new, NULL) with a live
                    // struct rlimit64.
                    syscall4(
                        Sysno::prlimit64,
                        0,
                        linux_raw_sys::general::RLIMIT_NPROC as usize,
                        limit.as_ptr() as usize,
                        0,
                    )
                    .map_err(|e| std::io::Error::from_raw_os_error(e.into_raw()))?;
                    Ok(())
                }),
        )
    };
    let _ = std::fs::remove_dir_all(copy.parent().unwrap());
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        text(&out.stderr),
        "ns-tool: fork: Try again (EAGAIN): the process limit was reached (RLIMIT_NPROC, \
         ulimit -u, or the cgroup's pids.max); end some processes or raise the limit\n"
    );
}

#[test]
fn unshare_fails_with_enospc_at_the_namespace_limit() {
    // Inside a user namespace its root may lower the namespace's own
    // max_pid_namespaces; the namespace already holds one PID namespace.
    let copy = world_executable_copy("enospc");
    let script = format!(
        "echo 1 > /proc/sys/user/max_pid_namespaces && exec {} pid --user -- true",
        copy.display()
    );
    let out = output_of_fresh_copy(
        Command::new(&copy)
            .args(["pid", "--user", "--", "sh", "-c", &script])
            .uid(65534)
            .gid(65534),
    );
    let _ = std::fs::remove_dir_all(copy.parent().unwrap());
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = text(&out.stderr);
    assert_error_lines(&stderr);
    assert!(
        stderr.starts_with(
            "ns-tool: unshare(CLONE_NEWUSER|CLONE_NEWPID): No space left on device (ENOSPC): \
             a namespace limit was reached"
        ),
        "{stderr}"
    );
}

#[test]
fn nesting_past_the_kernel_limit_fails_with_enospc() {
    // 32 levels are allowed in all, counting the ones ns-tool starts in: a
    // ns-tool already inside a namespace cannot add 32 more.
    let out = run(&[
        "pid",
        "--",
        &bin().to_string_lossy(),
        "pid",
        "--nest",
        "32",
        "--",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = text(&out.stderr);
    assert_error_lines(&stderr);
    assert!(
        stderr.contains("unshare(CLONE_NEWPID): No space left on device (ENOSPC): PID namespaces nest at most 32 deep"),
        "{stderr}"
    );
}

/// Run ns-tool with standard output closed (not /dev/null: no fd 1 at all).
fn run_with_stdout_closed(args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(bin());
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
    // SAFETY: close(1) in the child before exec.
    unsafe {
        cmd.pre_exec(|| {
            syscall1(Sysno::close, 1)
                .map_err(|e| std::io::Error::from_raw_os_error(e.into_raw()))?;
            Ok(())
        });
    }
    let child = cmd.spawn().unwrap();
    let _dog = common::watchdog(child.id(), 20);
    child.wait_with_output().unwrap()
}

#[test]
fn closed_stdout_is_an_error_not_a_crash_or_a_hang() {
    let out = run_with_stdout_closed(&["pid"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = text(&out.stderr);
    assert_error_lines(&stderr);
    assert!(
        stderr.contains("write(stdout): Bad file number (EBADF)"),
        "{stderr}"
    );
    // A COMMAND that does not print is not disturbed by it.
    let out = run_with_stdout_closed(&["pid", "--", "true"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}
