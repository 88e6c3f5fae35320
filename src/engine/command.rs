//! Running COMMAND exactly as execvp(3) does: a PATH search done here, a
//! file the kernel cannot run (no `#!`) handed to `/bin/sh`, and the
//! shells' exit statuses when it fails (127: not found, 126: found but
//! cannot be run), with a message that names the real cause.

use core::ffi::CStr;

use linux_raw_sys::general::{O_CLOEXEC, O_DIRECTORY, O_PATH, O_RDONLY};

use crate::error::Error;
use crate::rt::argv::Argv;
use crate::sys::{self, Errno};

/// Exit status when COMMAND is not found.
pub const EXIT_NOT_FOUND: i32 = 127;
/// Exit status when COMMAND exists but cannot be run.
pub const EXIT_CANNOT_RUN: i32 = 126;

/// Where to look when PATH is not set (musl's default).
const DEFAULT_PATH: &[u8] = b"/usr/local/bin:/bin:/usr/bin";

/// Longest path tried (PATH_MAX, with its NUL).
const PATH_MAX: usize = 4096;

/// How one candidate file failed to run.
enum Failed {
    /// execve(2) of the file itself.
    Exec(Errno),
    /// The kernel could not run it (ENOEXEC), and neither could
    /// `/bin/sh`, which execvp runs it with.
    Shell(Errno),
}

/// Replace this process with COMMAND, argument `at` of `argv` onwards, with
/// the same environment. Returns only on failure, with the error to report.
pub fn exec(argv: &Argv, at: usize) -> Error {
    let name = argv.arg(at);
    let bytes = name.to_bytes();
    if bytes.is_empty() {
        return not_found(bytes);
    }
    if bytes.contains(&b'/') {
        return explain(run(argv, at, name), name, bytes);
    }
    let path = argv.env(b"PATH").unwrap_or(DEFAULT_PATH);
    let mut buf = [0u8; PATH_MAX];
    let mut denied = false;
    for dir in path.split(|&b| b == b':') {
        let Some(candidate) = join(&mut buf, dir, bytes) else {
            continue;
        };
        match run(argv, at, candidate) {
            // Not here: try the next directory.
            Failed::Exec(Errno::ENOENT | Errno::ENOTDIR | Errno::ENAMETOOLONG) => {}
            // Here but not runnable: a later directory may still have it.
            Failed::Exec(Errno::EACCES) => denied = true,
            failed => return explain(failed, candidate, bytes),
        }
    }
    // What made the search fail, for the message: the first file of that
    // name there is (not runnable, or its interpreter is missing).
    for dir in path.split(|&b| b == b':') {
        if let Some(candidate) = join(&mut buf, dir, bytes) {
            if sys::open(candidate, O_PATH | O_CLOEXEC).is_ok() {
                let errno = if denied { Errno::EACCES } else { Errno::ENOENT };
                return explain(Failed::Exec(errno), candidate, bytes);
            }
        }
    }
    not_found(bytes)
}

/// execve the file at `path`; if the kernel cannot run it (ENOEXEC, a
/// script without `#!`), run `/bin/sh path ARGS...` instead, as execvp
/// does. Returns only on failure.
fn run(argv: &Argv, at: usize, path: &CStr) -> Failed {
    // SAFETY: argv.tail and argv.envp are the process's own NULL-terminated
    // arrays; shell_tail rewrites two slots of argv, which is fine in a
    // process that is about to exec and never reads them again.
    unsafe {
        match sys::execve(path, argv.tail(at), argv.envp()) {
            Errno::ENOEXEC => Failed::Shell(sys::execve(
                c"/bin/sh",
                argv.shell_tail(at, path),
                argv.envp(),
            )),
            e => Failed::Exec(e),
        }
    }
}

fn not_found(name: &'static [u8]) -> Error {
    Error::sys(t!("execve"), Errno::ENOENT)
        .with_arg(name)
        .hint(t!("command not found in PATH"))
        .exit_with(EXIT_NOT_FOUND)
}

/// The error for `name` (found at `path`), with the real cause.
fn explain(failed: Failed, path: &CStr, name: &'static [u8]) -> Error {
    let errno = match failed {
        Failed::Shell(e) => {
            return Error::sys(t!("execve"), e)
                .with_arg(b"/bin/sh")
                .hint(t!(
                    "the kernel cannot run it (no #! line), and /bin/sh could not run it either"
                ))
                .exit_with(if e == Errno::ENOENT {
                    EXIT_NOT_FOUND
                } else {
                    EXIT_CANNOT_RUN
                });
        }
        Failed::Exec(e) => e,
    };
    let e = Error::sys(t!("execve"), errno).with_arg(name);
    match errno {
        Errno::ENOENT => {
            // The file is there: what is missing is the program it names.
            if sys::open(path, O_PATH | O_CLOEXEC).is_err() {
                return e.exit_with(EXIT_NOT_FOUND);
            }
            let mut head = [0u8; 256];
            match interpreter(path, &mut head) {
                Some(interp) => e
                    .hint(t!("the interpreter on its #! line was not found:"))
                    .with_detail(interp),
                None => e.hint(t!("its ELF interpreter (dynamic loader) was not found")),
            }
            .exit_with(EXIT_NOT_FOUND)
        }
        Errno::EACCES if sys::open(path, O_PATH | O_DIRECTORY | O_CLOEXEC).is_ok() => {
            e.hint(t!("it is a directory")).exit_with(EXIT_CANNOT_RUN)
        }
        Errno::EACCES => e
            .hint(t!(
                "not executable (no execute permission, a noexec mount, or a directory \
                 on the way that cannot be searched)"
            ))
            .exit_with(EXIT_CANNOT_RUN),
        _ => e.exit_with(EXIT_CANNOT_RUN),
    }
}

/// The interpreter named on the `#!` line of the file at `path`.
fn interpreter<'a>(path: &CStr, head: &'a mut [u8]) -> Option<&'a [u8]> {
    let fd = sys::open(path, O_RDONLY | O_CLOEXEC).ok()?;
    let n = sys::read_full(fd.raw(), head).ok()?;
    shebang(&head[..n])
}

/// The interpreter of a `#!` line: the first word after `#!`.
pub fn shebang(head: &[u8]) -> Option<&[u8]> {
    let line = head.strip_prefix(b"#!")?;
    let line = line.split(|&b| b == b'\n').next()?;
    line.split(|&b| b == b' ' || b == b'\t')
        .find(|w| !w.is_empty())
}

/// `dir/name` as a C string in `buf`, or `None` if it does not fit. An
/// empty `dir` means the current directory.
fn join<'a>(buf: &'a mut [u8], dir: &[u8], name: &[u8]) -> Option<&'a CStr> {
    let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
    let len = dir.len() + 1 + name.len();
    if len >= buf.len() {
        return None;
    }
    buf[..dir.len()].copy_from_slice(dir);
    buf[dir.len()] = b'/';
    buf[dir.len() + 1..len].copy_from_slice(name);
    buf[len] = 0;
    // SAFETY: buf[len] is a NUL, so the string ends inside `buf`. (Size:
    // from_bytes_with_nul would inline a whole memchr; `dir` and `name`
    // come from C strings and hold no NUL of their own.)
    Some(unsafe { CStr::from_ptr(buf.as_ptr().cast()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error as its line shows it.
    fn shown(e: Error) -> std::string::String {
        let mut b = crate::text::Buf::new();
        e.put(&mut b);
        std::string::String::from_utf8(b.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn joins_dir_and_name() {
        let mut buf = [0u8; 16];
        assert_eq!(
            join(&mut buf, b"/bin", b"sh").unwrap().to_bytes(),
            b"/bin/sh"
        );
        assert_eq!(join(&mut buf, b"", b"x").unwrap().to_bytes(), b"./x");
        assert!(join(&mut buf, b"/a/very/long", b"name").is_none());
    }

    #[test]
    fn shebang_lines() {
        assert_eq!(shebang(b"#!/bin/sh\necho"), Some(&b"/bin/sh"[..]));
        assert_eq!(
            shebang(b"#! /usr/bin/env python3\n"),
            Some(&b"/usr/bin/env"[..])
        );
        assert_eq!(shebang(b"#!\n"), None);
        assert_eq!(shebang(b"echo hi\n"), None);
        assert_eq!(shebang(b"\x7fELF"), None);
    }

    #[test]
    fn missing_command_is_127_and_says_so() {
        let argv = crate::rt::argv::tests::argv(
            &["ns-tool", "no-such-cmd-xyz"],
            &["PATH=/nonexistent:/also-not"],
        );
        let e = exec(&argv, 0);
        assert_eq!(e.errno(), Errno::ENOENT);
        assert_eq!(e.exit_code(), EXIT_NOT_FOUND);
        assert_eq!(
            shown(e),
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
        let argv = crate::rt::argv::tests::argv(&["ns-tool", "plain"], &[&path]);
        let e = exec(&argv, 0);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(e.errno(), Errno::EACCES);
        assert_eq!(e.exit_code(), EXIT_CANNOT_RUN);
        assert!(shown(e).ends_with(": not executable (no execute permission, a noexec mount, or a directory on the way that cannot be searched)"));
    }

    #[test]
    fn directory_is_126_and_named_so() {
        let argv = crate::rt::argv::tests::argv(&["ns-tool", "/tmp"], &[]);
        let e = exec(&argv, 0);
        assert_eq!(e.exit_code(), EXIT_CANNOT_RUN);
        assert_eq!(
            shown(e),
            "execve(/tmp): Permission denied (EACCES): it is a directory"
        );
    }
}
