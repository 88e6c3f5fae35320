//! Checks on one step of a boot, in the style of assert_cmd:
//!
//! ```no_run
//! # let boot: ns_tool_vm::Boot = todo!();
//! boot.step("pid as root")
//!     .success()
//!     .stdout_contains("PID inside namespace: 1")
//!     .stderr_eq("");
//! ```
//!
//! A failed check panics with what was expected, the step's status, stdout
//! and stderr, every other step's result and the guest's whole console.

use crate::protocol::Status;
use crate::Boot;

/// One step's result, to check. Cheap to copy: a reference and an index.
#[derive(Clone, Copy)]
pub struct Assert<'a> {
    boot: &'a Boot,
    index: usize,
}

impl<'a> Assert<'a> {
    pub(crate) fn new(boot: &'a Boot, index: usize) -> Self {
        Assert { boot, index }
    }

    fn result(&self) -> &crate::protocol::StepResult {
        &self.boot.transcript.steps[self.index]
    }

    /// The step's standard output (for an exec'd init: stdout and stderr).
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.result().stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.result().stderr).into_owned()
    }

    pub fn status(&self) -> Option<&Status> {
        self.result().status.as_ref()
    }

    /// Fail the test: `what` was expected.
    pub fn fail(&self, what: &str) -> ! {
        let info = &self.boot.info[self.index];
        panic!(
            "{} VM {:?}, step {:?} ({}): expected {what}\n{}",
            self.boot.arch.name(),
            self.boot.name,
            info.label,
            info.description,
            self.boot.report("all steps of this boot:")
        )
    }

    /// A check of your own: fail with "expected `what`" unless `ok`.
    pub fn check(self, what: &str, ok: bool) -> Self {
        if !ok {
            self.fail(what);
        }
        self
    }

    /// Exit status 0.
    pub fn success(self) -> Self {
        self.code(0)
    }

    /// Exited with this status.
    pub fn code(self, code: i32) -> Self {
        let ok = self.status() == Some(&Status::Exit(code));
        self.check(&format!("exit status {code}"), ok)
    }

    /// Exited with a status other than 0.
    pub fn failure(self) -> Self {
        let ok = matches!(self.status(), Some(Status::Exit(c)) if *c != 0);
        self.check("a non-zero exit status", ok)
    }

    pub fn stdout_eq(self, want: &str) -> Self {
        let ok = self.stdout() == want;
        self.check(&format!("stdout to be exactly:\n{want}"), ok)
    }

    pub fn stdout_contains(self, want: &str) -> Self {
        let ok = self.stdout().contains(want);
        self.check(&format!("stdout to contain {want:?}"), ok)
    }

    pub fn stdout_lacks(self, unwanted: &str) -> Self {
        let ok = !self.stdout().contains(unwanted);
        self.check(&format!("stdout not to contain {unwanted:?}"), ok)
    }

    pub fn stderr_eq(self, want: &str) -> Self {
        let ok = self.stderr() == want;
        self.check(&format!("stderr to be exactly:\n{want}"), ok)
    }

    pub fn stderr_contains(self, want: &str) -> Self {
        let ok = self.stderr().contains(want);
        self.check(&format!("stderr to contain {want:?}"), ok)
    }

    pub fn stderr_starts_with(self, want: &str) -> Self {
        let ok = self.stderr().starts_with(want);
        self.check(&format!("stderr to start with {want:?}"), ok)
    }

    /// The rest of the only stdout line that starts with `prefix` (to pick
    /// values such as a PID or a namespace inode out of the output).
    pub fn stdout_field(&self, prefix: &str) -> String {
        let out = self.stdout();
        let mut found = out.lines().filter_map(|l| l.strip_prefix(prefix));
        match (found.next(), found.next()) {
            (Some(rest), None) => rest.to_string(),
            (None, _) => self.fail(&format!("a stdout line starting with {prefix:?}")),
            (Some(_), Some(_)) => {
                self.fail(&format!("only one stdout line starting with {prefix:?}"))
            }
        }
    }
}
