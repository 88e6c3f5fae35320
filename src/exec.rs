//! Running COMMAND: execve(2) with a PATH search done here, as a shell
//! does it, and the shells' exit statuses when it fails (127: not found,
//! 126: found but cannot be run).

use core::ffi::CStr;

use crate::argv::Argv;
use crate::error::Error;
use crate::sys::{self, Errno};

/// Exit status when COMMAND is not found.
pub const EXIT_NOT_FOUND: i32 = 127;
/// Exit status when COMMAND exists but cannot be run.
pub const EXIT_CANNOT_RUN: i32 = 126;

/// Where to look when PATH is not set (musl's default).
const DEFAULT_PATH: &[u8] = b"/usr/local/bin:/bin:/usr/bin";

/// Longest path tried (PATH_MAX, with its NUL).
const PATH_MAX: usize = 4096;

/// Replace this process with COMMAND, argument `at` of `argv` onwards, with
/// the same environment. Returns only on failure, with the error to report.
pub fn exec(argv: &Argv, at: usize) -> Error {
    let name = argv.arg(at);
    let bytes = name.to_bytes();
    let fail = |e: Errno| {
        let e = Error::sys("execve", e).with_arg(bytes);
        match e.errno {
            Errno::ENOENT => e.exit_with(EXIT_NOT_FOUND),
            Errno::EACCES => e.hint("not executable").exit_with(EXIT_CANNOT_RUN),
            _ => e.exit_with(EXIT_CANNOT_RUN),
        }
    };
    if bytes.is_empty() {
        return fail(Errno::ENOENT);
    }
    // SAFETY (all execve calls below): argv.tail and argv.envp are the
    // process's own NULL-terminated arrays.
    if bytes.contains(&b'/') {
        return fail(unsafe { sys::execve(name, argv.tail(at), argv.envp()) });
    }
    let path = argv.env(b"PATH").unwrap_or(DEFAULT_PATH);
    let mut denied = false;
    let mut buf = [0u8; PATH_MAX];
    for dir in path.split(|&b| b == b':') {
        // An empty entry means the current directory.
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let Some(candidate) = join(&mut buf, dir, bytes) else {
            continue;
        };
        match unsafe { sys::execve(candidate, argv.tail(at), argv.envp()) } {
            // Not here: try the next directory.
            Errno::ENOENT | Errno::ENOTDIR | Errno::ENAMETOOLONG => {}
            // Here but not runnable: a later directory may still have it.
            Errno::EACCES => denied = true,
            e => return fail(e),
        }
    }
    if denied {
        fail(Errno::EACCES)
    } else {
        fail(Errno::ENOENT).hint("command not found in PATH")
    }
}

/// `dir/name` as a C string in `buf`, or `None` if it does not fit.
fn join<'a>(buf: &'a mut [u8], dir: &[u8], name: &[u8]) -> Option<&'a CStr> {
    let len = dir.len() + 1 + name.len();
    if len >= buf.len() {
        return None;
    }
    buf[..dir.len()].copy_from_slice(dir);
    buf[dir.len()] = b'/';
    buf[dir.len() + 1..len].copy_from_slice(name);
    buf[len] = 0;
    CStr::from_bytes_with_nul(&buf[..=len]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_dir_and_name() {
        let mut buf = [0u8; 16];
        assert_eq!(
            join(&mut buf, b"/bin", b"sh").unwrap().to_bytes(),
            b"/bin/sh"
        );
        assert_eq!(join(&mut buf, b".", b"x").unwrap().to_bytes(), b"./x");
        assert!(join(&mut buf, b"/a/very/long", b"name").is_none());
    }

    #[test]
    fn missing_command_is_127_and_says_so() {
        let argv = crate::argv::tests::argv(
            &["ns-tool", "no-such-cmd-xyz"],
            &["PATH=/nonexistent:/also-not"],
        );
        let e = exec(&argv, 0);
        assert_eq!(e.errno, Errno::ENOENT);
        assert_eq!(e.exit_code(), EXIT_NOT_FOUND);
        assert_eq!(
            std::format!("{e}"),
            "execve(no-such-cmd-xyz): No such file or directory (ENOENT): command not found in PATH"
        );
    }

    #[test]
    fn non_executable_file_is_126() {
        let dir = std::env::temp_dir().join(std::format!("ns-tool-exec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("plain");
        std::fs::write(&file, "not a program").unwrap();
        let path = std::format!("PATH={}", dir.display());
        let argv = crate::argv::tests::argv(&["ns-tool", "plain"], &[&path]);
        let e = exec(&argv, 0);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(e.errno, Errno::EACCES);
        assert_eq!(e.exit_code(), EXIT_CANNOT_RUN);
    }
}
