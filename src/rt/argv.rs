//! The process's own command line and environment, as execve(2) left them
//! on the initial stack: NULL-terminated arrays of pointers to
//! NUL-terminated strings, alive for the whole run. Kept raw so that a
//! COMMAND's arguments and the environment can be handed to execve as they
//! are, with no copying and no allocation. After the environment's NULL
//! comes the auxiliary vector, of which ns-tool reads one entry
//! ([`Argv::secure`]).

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
    /// a NULL, and `envp` a NULL-terminated array of such pointers, whose
    /// NULL is followed by an auxiliary vector ending in `AT_NULL` (as on
    /// the initial stack); all must live and stay unchanged for the rest of
    /// the process.
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

    /// Whether the kernel marked this execution as secure (`AT_SECURE` in
    /// the auxiliary vector): the file was set-user-ID or set-group-ID, or
    /// gave its caller capabilities, or an LSM changed domain. libc calls
    /// this "secure mode" and stops trusting the environment; ns-tool
    /// refuses to run at all, since it exists to run any COMMAND its caller
    /// names with the privileges it has (docs/security.md). The vector is
    /// pairs of words (type, value) right after the environment's NULL, up
    /// to an `AT_NULL` type; a kernel that sets no `AT_SECURE` (none since
    /// 2.6) is taken at its word.
    pub fn secure(&self) -> bool {
        use linux_raw_sys::auxvec::{AT_NULL, AT_SECURE};
        let mut p = self.envp;
        // SAFETY: envp is NULL-terminated and the auxiliary vector follows
        // its NULL, up to and including the AT_NULL pair (from_raw).
        unsafe {
            while !(*p).is_null() {
                p = p.add(1);
            }
            let mut aux = p.add(1) as *const usize;
            loop {
                match *aux {
                    t if t == AT_SECURE as usize => return *aux.add(1) != 0,
                    t if t == AT_NULL as usize => return false,
                    _ => aux = aux.add(2),
                }
            }
        }
    }

    /// Make environment entry `i` (from [`Argv::env_at`]) point to `entry`
    /// (`KEY=VALUE`), for the execve that follows.
    ///
    /// # Safety
    /// `i` must be an entry's index. `entry` must outlive every later use
    /// of the environment (the execve); call it only in a child that is
    /// about to exec, as it changes what every copy of this `Argv` sees.
    pub unsafe fn set_env(&self, i: usize, entry: &CStr) {
        // SAFETY: the caller vouches for `i`; the initial stack is
        // writable.
        unsafe { *(self.envp as *mut *const c_char).add(i) = entry.as_ptr() };
    }

    /// The value of environment variable `key`, if set.
    pub fn env(&self, key: &[u8]) -> Option<&'static [u8]> {
        self.env_at(key).map(|(_, value)| value)
    }

    /// The first entry for environment variable `key`, if set: its index
    /// and value.
    pub fn env_at(&self, key: &[u8]) -> Option<(usize, &'static [u8])> {
        let mut i = 0;
        loop {
            // SAFETY: envp is NULL-terminated (from_raw), so every pointer
            // read up to and including the NULL is in the array.
            let entry = unsafe { *self.envp.add(i) };
            if entry.is_null() {
                return None;
            }
            // SAFETY: a non-NULL entry is a NUL-terminated string.
            let var = unsafe { CStr::from_ptr(entry) }.to_bytes();
            if let Some(value) = var.strip_prefix(key).and_then(|v| v.strip_prefix(b"=")) {
                return Some((i, value));
            }
            i += 1;
        }
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::boxed::Box;
    use std::ffi::CString;
    use std::vec::Vec;

    /// Build a leaked, process-lifetime Argv for tests, with an empty
    /// auxiliary vector.
    pub fn argv(args: &[&str], env: &[&str]) -> Argv {
        argv_aux(args, env, &[])
    }

    /// The same with these auxiliary vector entries (type, value), then
    /// AT_NULL, after the environment, as on the initial stack.
    pub fn argv_aux(args: &[&str], env: &[&str], aux: &[(usize, usize)]) -> Argv {
        fn words(words: &[&str]) -> Vec<*const c_char> {
            let mut ptrs: Vec<*const c_char> = words
                .iter()
                .map(|w| CString::new(*w).unwrap().into_raw() as *const c_char)
                .collect();
            ptrs.push(core::ptr::null());
            ptrs
        }
        let mut env = words(env);
        for &(t, v) in aux.iter().chain(&[(0, 0)]) {
            env.extend([t as *const c_char, v as *const c_char]);
        }
        let env = Box::leak(env.into_boxed_slice()).as_ptr();
        let args_ptrs = Box::leak(words(args).into_boxed_slice()).as_ptr();
        // SAFETY: leaked arrays as from_raw asks.
        unsafe { Argv::from_raw(args.len(), args_ptrs, env) }
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
    fn secure_is_at_secure_past_the_environment() {
        const AT_SECURE: usize = 23;
        let env = ["PATH=/bin", "HOME=/"];
        // Entries before it (AT_PAGESZ, AT_UID) are skipped, pairwise.
        let before = [(6, 4096), (11, 1000)];
        let set = [before[0], before[1], (AT_SECURE, 1)];
        assert!(argv_aux(&["ns-tool", "pid"], &env, &set).secure());
        let clear = [before[0], (AT_SECURE, 0), before[1]];
        assert!(!argv_aux(&["ns-tool", "pid"], &env, &clear).secure());
        assert!(!argv_aux(&["ns-tool"], &env, &before).secure());
        assert!(!argv_aux(&["ns-tool"], &[], &[]).secure());
        assert!(argv_aux(&["ns-tool"], &[], &[(AT_SECURE, 1)]).secure());
        // A value of 23 is not a type.
        assert!(!argv_aux(&["ns-tool"], &[], &[(6, AT_SECURE)]).secure());
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
