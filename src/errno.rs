//! Names and texts for the errors ns-tool can meet, in a compact table.
//!
//! The `syscalls` crate can name every errno, but its table is a large
//! match (about 9 KB of code and text in this binary, a quarter of it).
//! ns-tool keeps the classic errors 1 to 40 plus the few others its calls
//! can return, with the same names and texts (a unit test checks them
//! against `syscalls`); any other errno is shown by number.

use crate::sys::Errno;

/// One line per errno: number, name, text (the kernel's wording, as the
/// `syscalls` crate carries it).
const TABLE: &str = "\
1 EPERM Operation not permitted
2 ENOENT No such file or directory
3 ESRCH No such process
4 EINTR Interrupted system call
5 EIO I/O error
6 ENXIO No such device or address
7 E2BIG Argument list too long
8 ENOEXEC Exec format error
9 EBADF Bad file number
10 ECHILD No child processes
11 EAGAIN Try again
12 ENOMEM Out of memory
13 EACCES Permission denied
14 EFAULT Bad address
15 ENOTBLK Block device required
16 EBUSY Device or resource busy
17 EEXIST File exists
18 EXDEV Cross-device link
19 ENODEV No such device
20 ENOTDIR Not a directory
21 EISDIR Is a directory
22 EINVAL Invalid argument
23 ENFILE File table overflow
24 EMFILE Too many open files
25 ENOTTY Not a typewriter
26 ETXTBSY Text file busy
27 EFBIG File too large
28 ENOSPC No space left on device
29 ESPIPE Illegal seek
30 EROFS Read-only file system
31 EMLINK Too many links
32 EPIPE Broken pipe
33 EDOM Math argument out of domain of func
34 ERANGE Math result not representable
35 EDEADLK Resource deadlock would occur
36 ENAMETOOLONG File name too long
37 ENOLCK No record locks available
38 ENOSYS Invalid system call number
39 ENOTEMPTY Directory not empty
40 ELOOP Too many symbolic links encountered
75 EOVERFLOW Value too large for defined data type
87 EUSERS Too many users
95 EOPNOTSUPP Operation not supported on transport endpoint
";

/// The name and text of `errno`, e.g. `("EPERM", "Operation not
/// permitted")`, if the table has it.
pub fn describe(errno: Errno) -> Option<(&'static str, &'static str)> {
    let n = errno.into_raw();
    TABLE.lines().find_map(|line| {
        let (num, rest) = line.split_once(' ')?;
        if num.parse::<i32>().ok()? != n {
            return None;
        }
        rest.split_once(' ')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_syscalls_crate() {
        let mut count = 0;
        for n in 1..200 {
            let e = Errno::new(n);
            if let Some((name, text)) = describe(e) {
                assert_eq!(Some(name), e.name(), "errno {n}");
                assert_eq!(Some(text), e.description(), "errno {n}");
                count += 1;
            }
        }
        assert_eq!(count, TABLE.lines().count(), "every line parses");
    }

    #[test]
    fn covers_what_ns_tool_meets() {
        for e in [
            Errno::EPERM,
            Errno::ENOENT,
            Errno::EAGAIN,
            Errno::EACCES,
            Errno::ENOSPC,
            Errno::EINVAL,
            Errno::EPIPE,
            Errno::ECHILD,
            Errno::ENOEXEC,
            Errno::EUSERS,
        ] {
            assert!(describe(e).is_some(), "{e:?}");
        }
        assert_eq!(describe(Errno::new(4000)), None);
    }
}
