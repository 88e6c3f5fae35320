//! The process's own command line and environment, as execve(2) left them
//! on the initial stack: NULL-terminated arrays of pointers to
//! NUL-terminated strings, alive for the whole run. Kept raw so that a
//! COMMAND's arguments and the environment can be handed to execve as they
//! are, with no copying and no allocation.

use core::ffi::{c_char, CStr};

/// argv and envp of this process.
#[derive(Clone, Copy)]
pub struct Argv {
    argv: *const *const c_char,
    argc: usize,
    envp: *const *const c_char,
}

impl Argv {
    /// # Safety
    /// `argv` must hold `argc` pointers to NUL-terminated strings followed by
    /// a NULL, and `envp` a NULL-terminated array of such pointers; all must
    /// live and stay unchanged for the rest of the process.
    pub unsafe fn from_raw(
        argc: usize,
        argv: *const *const c_char,
        envp: *const *const c_char,
    ) -> Self {
        Argv { argv, argc, envp }
    }

    /// Number of arguments after the program name.
    pub fn len(&self) -> usize {
        self.argc.saturating_sub(1)
    }

    /// Whether there are no arguments after the program name.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Argument `i` after the program name (0 is argv[1]).
    pub fn arg(&self, i: usize) -> &'static CStr {
        assert!(i < self.len(), "argument index out of range");
        // SAFETY: in range, and the strings live for the process (from_raw).
        unsafe { CStr::from_ptr(*self.argv.add(1 + i)) }
    }

    /// argv from argument `i` on (0 is argv[1]): a NULL-terminated array,
    /// ready for execve.
    pub fn tail(&self, i: usize) -> *const *const c_char {
        assert!(i < self.len(), "argument index out of range");
        // SAFETY: in range of the argc + 1 pointers.
        unsafe { self.argv.add(1 + i) }
    }

    /// argv from argument `i` on, with argument `i` replaced by `path`
    /// and `/bin/sh` put before it: how execvp(3) runs a file the kernel
    /// cannot (a script without `#!`). It reuses the slot before argument
    /// `i` (argv[i], at worst the program name), so nothing is allocated;
    /// the words themselves are untouched.
    ///
    /// # Safety
    /// Only for a process about to exec: the array is changed for good,
    /// and `arg`/`tail` no longer see the original pointers there.
    pub unsafe fn shell_tail(&self, i: usize, path: &CStr) -> *const *const c_char {
        assert!(i < self.len(), "argument index out of range");
        let slots = self.argv as *mut *const c_char;
        // SAFETY: argv[i] and argv[i + 1] exist (i < argc - 1), and the
        // initial stack is writable.
        unsafe {
            *slots.add(i) = c"/bin/sh".as_ptr();
            *slots.add(1 + i) = path.as_ptr();
            slots.add(i)
        }
    }

    /// The environment, ready for execve.
    pub fn envp(&self) -> *const *const c_char {
        self.envp
    }

    /// The value of environment variable `key`, if set.
    pub fn env(&self, key: &[u8]) -> Option<&'static [u8]> {
        let mut p = self.envp;
        loop {
            // SAFETY: envp is NULL-terminated (from_raw), so every pointer
            // read up to and including the NULL is in the array.
            let entry = unsafe { *p };
            if entry.is_null() {
                return None;
            }
            // SAFETY: a non-NULL entry is a NUL-terminated string.
            let var = unsafe { CStr::from_ptr(entry) }.to_bytes();
            if let Some(value) = var.strip_prefix(key).and_then(|v| v.strip_prefix(b"=")) {
                return Some(value);
            }
            // SAFETY: not yet past the NULL.
            p = unsafe { p.add(1) };
        }
    }
}

impl crate::args::Words for Argv {
    fn count(&self) -> usize {
        self.len()
    }
    fn word(&self, i: usize) -> &[u8] {
        self.arg(i).to_bytes()
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::boxed::Box;
    use std::ffi::CString;
    use std::vec::Vec;

    /// Build a leaked, process-lifetime Argv for tests.
    pub fn argv(args: &[&str], env: &[&str]) -> Argv {
        fn leak(words: &[&str]) -> *const *const c_char {
            let mut ptrs: Vec<*const c_char> = words
                .iter()
                .map(|w| CString::new(*w).unwrap().into_raw() as *const c_char)
                .collect();
            ptrs.push(core::ptr::null());
            Box::leak(ptrs.into_boxed_slice()).as_ptr()
        }
        // SAFETY: leaked arrays as from_raw asks.
        unsafe { Argv::from_raw(args.len(), leak(args), leak(env)) }
    }

    #[test]
    fn args_skip_the_program_name() {
        let a = argv(&["ns-tool", "pid", "--", "sh"], &[]);
        assert_eq!(a.len(), 3);
        let v: Vec<&[u8]> = (0..3).map(|i| a.arg(i).to_bytes()).collect();
        assert_eq!(v, [&b"pid"[..], b"--", b"sh"]);
        assert_eq!(a.arg(2).to_bytes(), b"sh");
        // SAFETY: tail(2) points at "sh" followed by the NULL.
        unsafe {
            assert_eq!(CStr::from_ptr(*a.tail(2)).to_bytes(), b"sh");
            assert!((*a.tail(2).add(1)).is_null());
        }
    }

    #[test]
    fn env_lookup() {
        let a = argv(
            &["ns-tool"],
            &["PATHX=no", "PATH=/bin:/usr/bin", "HOME=/root"],
        );
        assert_eq!(a.env(b"PATH"), Some(&b"/bin:/usr/bin"[..]));
        assert_eq!(a.env(b"HOME"), Some(&b"/root"[..]));
        assert_eq!(a.env(b"NOPE"), None);
        assert!(a.is_empty());
    }
}
