//! The engine (with, until it moves to src/cmd/, `pid`'s demonstration):
//! `ns-tool pid` creates a PID namespace and shows, from both sides, what
//! happens to process IDs, or runs a COMMAND as the namespace's PID 1;
//! `ns-tool init` is the same without step 1 (src/cmd/init.rs has what
//! only init does).
//!
//! 1. unshare(CLONE_NEWPID) (plus CLONE_NEWUSER for `--user`, CLONE_NEWNS
//!    for `--mount-proc`): this process stays in its PID namespace, but its
//!    next child is born into the new one.
//! 2. fork: the child is PID 1 there; its parent lives outside, so its
//!    getppid() says 0. With `--nest N` the child repeats 1 and 2 until it
//!    is N levels deep.
//! 3. The innermost child prints what it sees (the demonstration), execs
//!    COMMAND, or, with `--init`, stays PID 1 and runs COMMAND as PID 2.
//! 4. Every parent passes signals on, reaps its child with wait4, and exits
//!    with the child's status. A pipe holds each child until its parent is
//!    ready, which fixes the order of the output; PR_SET_PDEATHSIG makes
//!    the kernel kill each child if its parent dies, even by SIGKILL.

pub mod command;
pub mod jobs;
pub mod ns;
pub mod procfs;
pub mod signals;
pub mod supervise;

use core::ffi::CStr;

use linux_raw_sys::general::{CLONE_NEWPID, O_CLOEXEC, O_RDONLY, SIGKILL};

use crate::args::PidOpts;
use crate::cmd::init;
use crate::engine::jobs::{Sentinel, Terminal};
use crate::engine::signals::{Inherited, WATCHED};
use crate::error::{Error, EXIT_FAILURE};
use crate::rt::argv::Argv;
use crate::rt::out::{self, out, say};
use crate::sys::names::{put_errno_text, put_signal};
use crate::sys::{self, trace, Errno, Fd, Fork, SigSet, WaitStatus};
use crate::text::{Buf, Packed};
use command as exec;
use supervise::Supervisor;

/// What every level of the fork chain needs to know.
struct Plan<'a> {
    opts: &'a PidOpts,
    argv: &'a Argv,
    /// The signal state to give back to COMMAND.
    inherited: Inherited,
    /// The top ns-tool's PID.
    me: i32,
    /// The demonstration: no COMMAND, no `--pause` (worked out once, as
    /// many places ask).
    demo: bool,
}

impl Plan<'_> {
    fn demo(&self) -> bool {
        self.demo
    }

    /// What to call the child in messages: COMMAND's name, or "child".
    fn what(&self) -> &'static [u8] {
        match self.opts.command {
            Some(at) => self.argv.arg(at).to_bytes(),
            None => b"child",
        }
    }

    /// How many ns-tool levels lie between the process forked at `level`
    /// and COMMAND.
    fn depth(&self, level: u8) -> u8 {
        self.opts.nest - level + u8::from(self.opts.init)
    }
}

/// Job control for the top ns-tool running a COMMAND: its controlling
/// terminal, if any, and the sentinel that watches COMMAND's group (when
/// COMMAND is a namespace's PID 1, which cannot stop by itself).
struct Job {
    terminal: Terminal,
    sentinel: Option<Sentinel>,
}

/// Run `ns-tool pid` or `init` as process `me` (for `init`, src/lib.rs
/// has made it a subreaper or prepared the machine); returns ns-tool's
/// exit status (the child's).
pub fn run(opts: &PidOpts, argv: &Argv, me: i32) -> Result<i32, Error> {
    let inherited = supervise::block()?;
    let plan = Plan {
        opts,
        argv,
        inherited,
        me,
        demo: opts.command.is_none() && !opts.pause,
    };
    if opts.pause && !opts.newpid {
        init::housekeeping();
        return Ok(init::pause(inherited.waited()));
    }
    run_job(&plan)
}

/// Create the namespace and run the job, with the terminal's job control
/// when there is a terminal.
#[inline(always)]
fn run_job(plan: &Plan) -> Result<i32, Error> {
    let opts = plan.opts;
    // Taken before unshare: inside a new user namespace they read as
    // the overflow ID until the maps are written.
    let ids = opts.user.then(|| (sys::getuid(), sys::getgid()));
    // A namespace's PID 1 (COMMAND, or ns-tool's --init leading COMMAND's
    // group) cannot stop by itself: a sentinel sees its Ctrl-Z. Before
    // unshare, so that the sentinel lives in our PID namespace.
    let job = match (plan.demo(), Terminal::on_stdin()) {
        (false, Some(terminal)) => Some(Job {
            terminal,
            sentinel: match opts.newpid {
                true => Some(Sentinel::spawn(
                    SigSet(WATCHED.0 & plan.inherited.waited().0),
                    plan.me,
                )?),
                false => None,
            },
        }),
        _ => None,
    };
    let result = namespace_and_fork(plan, ids, job.as_ref());
    if let Some(sentinel) = job.and_then(|j| j.sentinel) {
        sentinel.stop();
    }
    result
}

fn namespace_and_fork(
    plan: &Plan,
    ids: Option<(u32, u32)>,
    job: Option<&Job>,
) -> Result<i32, Error> {
    if plan.demo() {
        say(t!("Creating new PID namespace..."));
        // Nowhere to show the demonstration: create nothing.
        out::stdout_result()?;
    }
    if plan.opts.newpid {
        ns::unshare(plan.opts)?;
    }
    if let Some((uid, gid)) = ids {
        ns::map_root(uid, gid)?;
    }
    if plan.demo() {
        say(t!("PID namespace created. Forking child process..."));
    }
    fork_into_namespace(plan, 1, job)
}

/// fork(2), with advice for the failures a user can do something about.
fn fork() -> Result<Fork, Error> {
    sys::fork().map_err(|e| {
        Error::sys(t!("fork"), e)
            .hint_on(
                Errno::EAGAIN,
                t!(
                    "the process limit was reached (RLIMIT_NPROC, ulimit -u, or the cgroup's \
                    pids.max); end some processes or raise the limit"
                ),
            )
            .hint_on(
                Errno::ENOMEM,
                t!("out of memory, or the namespace's PID 1 has already exited"),
            )
    })
}

/// Fault injection for the tests (cargo feature `failpoints`, never in the
/// shipped binary): panic at the point named by NS_TOOL_FAILPOINT.
#[cfg(feature = "failpoints")]
fn failpoint(argv: &Argv, name: &str) {
    if argv.env(b"NS_TOOL_FAILPOINT") == Some(name.as_bytes()) {
        panic!("failpoint {name}");
    }
}

#[cfg(not(feature = "failpoints"))]
fn failpoint(_: &Argv, _: &str) {}

/// Fork the first process of the PID namespace at nesting `level` (1 is
/// the one ns-tool created), then supervise it from outside. `job` is
/// the top ns-tool's terminal and sentinel.
fn fork_into_namespace(plan: &Plan, level: u8, job: Option<&Job>) -> Result<i32, Error> {
    // The child blocks on `go` until this side writes its PID (as this
    // side sees it, four bytes): then the output keeps its order, the child
    // can name itself in traces, and a child that reads end-of-file
    // instead knows its parent died before PR_SET_PDEATHSIG was armed.
    let (go, ready) = sys::pipe(O_CLOEXEC).map_err(Error::ctx(t!("pipe2")))?;
    // With a COMMAND, the namespace's first process leads a process group
    // of its own, for the whole job inside (see `jobs`). Both sides call
    // setpgid, as shells do, so neither waits for the other.
    let lead = level == 1 && !plan.demo();
    let child = match fork()? {
        Fork::Child => {
            drop(ready);
            if lead {
                let _ = sys::setpgid(0, 0);
            }
            let code = in_namespace(plan, level, go).unwrap_or_else(|e| e.report());
            // Never return into the parent's code path.
            sys::exit_group(code)
        }
        Fork::Parent(pid) => pid,
    };
    let top = level == 1;
    let mut terminal = None;
    let mut sentinel = 0;
    if lead {
        let _ = sys::setpgid(child, child);
        if let Some(job) = job {
            if job.terminal.foreground_at_start == job.terminal.group {
                job.terminal.hand_to(child);
            }
            if let Some(s) = &job.sentinel {
                s.join(child);
                sentinel = s.pid;
            }
            terminal = Some(job.terminal);
        }
    }
    if plan.demo() && top {
        parent_report(child);
    }
    failpoint(plan.argv, "parent-panic");
    // Whatever happened to our output, release the child. Our own read end
    // stays open until the PID is written, so the write cannot raise
    // SIGPIPE even if the child is already gone.
    let _ = sys::write(ready.raw(), &child.to_ne_bytes());
    drop(ready);
    drop(go);
    if !plan.opts.newpid {
        init::housekeeping();
    }
    let me = if top { plan.me } else { 1 };
    let mut sup = Supervisor::new(
        child,
        plan.what(),
        plan.inherited.waited(),
        me,
        &plan.opts.relay,
    );
    sup.depth = plan.depth(level);
    sup.command_is_init = plan.opts.newpid && !plan.opts.init;
    // `init` is a PID 1 or a subreaper: orphans come to it.
    sup.reap_all = !plan.opts.newpid;
    sup.child_leads_group = lead;
    sup.top = top;
    sup.terminal = terminal;
    sup.sentinel = sentinel;
    let status = sup.run();
    if let Some(terminal) = terminal {
        terminal.take_back(child);
    }
    let status = status?;
    if plan.demo() && top {
        return parent_done(child, status);
    }
    let code = supervise::exit_code(status, plan.what(), sup.escalated);
    Ok(if top {
        plan.opts.relay.status(code)
    } else {
        code
    })
}

/// The child's side: arm the parent-death signal, wait for the go-ahead,
/// then go one level deeper or do the job.
fn in_namespace(plan: &Plan, level: u8, go: Fd) -> Result<i32, Error> {
    sys::set_pdeathsig(SIGKILL).map_err(Error::ctx(t!("prctl(PR_SET_PDEATHSIG)")))?;
    let mut outer = [0u8; 4];
    if sys::read_full(go.raw(), &mut outer).map_err(Error::ctx(t!("read(pipe)")))? < outer.len() {
        // The parent died first: nobody would supervise us.
        return Ok(EXIT_FAILURE);
    }
    if plan.opts.newpid {
        trace::entered_namespace(u32::from_ne_bytes(outer));
    }
    drop(go);
    failpoint(plan.argv, "child-panic");
    if level < plan.opts.nest {
        if plan.demo() {
            let pid = sys::getpid();
            out(|b| {
                b.p(t!("Level "))
                    .udec(level.into())
                    .p(t!(": PID "))
                    .dec(pid.into())
                    .p(t!(" inside; creating PID namespace level "))
                    .udec((level + 1).into())
                    .p(t!(" and forking into it..."));
            });
        }
        sys::unshare(CLONE_NEWPID).map_err(|e| {
            Error::sys(t!("unshare(CLONE_NEWPID)"), e).hint_on(
                Errno::ENOSPC,
                t!("PID namespaces nest at most 32 deep, counting any ns-tool already runs in"),
            )
        })?;
        return fork_into_namespace(plan, level + 1, None);
    }
    if plan.opts.mount_proc {
        ns::mount_proc()?;
    }
    if plan.opts.pause {
        return Ok(init::pause(plan.inherited.waited()));
    }
    if plan.opts.init {
        // The child, PID 2, goes on to run COMMAND below (and, should that
        // fail, reports it and exits as any level's child does).
        if let Fork::Parent(command) = fork()? {
            return init(plan, command);
        }
    }
    // `init`: LISTEN_PID=<COMMAND> lives here until the exec.
    let mut entry = Buf::new();
    if !plan.opts.newpid {
        init::listen_pid(plan.argv, &mut entry);
    }
    supervise::restore(&plan.inherited)?;
    match plan.opts.command {
        None => demo(),
        Some(at) => Err(exec::exec(plan.argv, at)),
    }
}

/// `--init`: stay PID 1 of the namespace with COMMAND as PID 2 (in our
/// process group, which has the terminal), pass signals on to it, reap
/// every process that ends up here, and exit with COMMAND's status. (When
/// PID 1 exits, the kernel kills what is left.)
fn init(plan: &Plan, command: i32) -> Result<i32, Error> {
    let mut sup = Supervisor::new(
        command,
        plan.what(),
        plan.inherited.waited(),
        1,
        &plan.opts.relay,
    );
    sup.reap_all = true;
    let status = sup.run()?;
    Ok(supervise::exit_code(status, plan.what(), false))
}

fn parent_report(child: i32) {
    out(|b| {
        b.p(t!("Parent: spawned child with PID "))
            .dec(child.into())
            .p(t!(" (in parent namespace)"));
    });
    say_link(t!("Parent: PID namespace: "), c"/proc/self/ns/pid");
    say_link(
        t!("Parent: PID namespace for children: "),
        c"/proc/self/ns/pid_for_children",
    );
}

fn parent_done(child: i32, status: WaitStatus) -> Result<i32, Error> {
    let (code, what) = match status {
        WaitStatus::Exited(code) => (i32::from(code), None),
        WaitStatus::Signaled(sig) => (128 + i32::from(sig), Some(u32::from(sig))),
        WaitStatus::Stopped(_) | WaitStatus::Other(_) => (EXIT_FAILURE, Some(0)),
    };
    out(|b| {
        b.p(t!("Parent: child ")).dec(child.into());
        match what {
            None => {
                b.p(t!(" exited with status ")).dec(code.into());
            }
            Some(0) => {
                b.p(t!(" ended in an unexpected state"));
            }
            Some(sig) => {
                b.p(t!(" was killed by signal "))
                    .udec(sig.into())
                    .p(t!(" ("));
                match sys::names::signal(sig) {
                    Some(_) => put_signal(b, sig),
                    None => {
                        b.p(t!("unknown"));
                    }
                }
                b.byte(b')');
            }
        }
    });
    out::stdout_result().map(|()| code)
}

/// The demonstration, as PID 1 of the innermost namespace.
fn demo() -> Result<i32, Error> {
    let pid = sys::getpid();
    let ppid = sys::getppid();
    say(t!(""));
    say(t!("=== Inside PID Namespace ==="));
    out(|b| {
        b.p(t!("PID inside namespace: ")).dec(pid.into());
    });
    out(|b| {
        b.p(t!("Parent PID inside namespace: ")).dec(ppid.into());
    });
    let ok = pid == 1;
    if ok {
        say(t!("Success! We are PID 1 in the new namespace"));
    } else {
        out::err(|b| {
            b.p(t!(
                "ns-tool: expected PID 1 inside the new namespace, got PID "
            ))
            .dec(pid.into());
        });
    }
    say_link(t!("PID namespace: "), c"/proc/self/ns/pid");
    out(nspid);
    say(t!(""));
    say(t!("You can verify isolation by checking /proc:"));
    say(t!("  - /proc/self/status | grep NSpid"));
    say(t!("  - ls /proc (shows only processes in this namespace)"));
    say(t!("==========================="));
    say(t!(""));
    out::stdout_result().map(|()| if ok { 0 } else { EXIT_FAILURE })
}

/// One line: `label` and a symbolic link's target (a function of its own,
/// for size: three lines are built so).
fn say_link(label: Packed, path: &CStr) {
    out(|b| link(b.p(label), path));
}

/// Write a symbolic link's target, or why it could not be read.
fn link(b: &mut Buf, path: &CStr) {
    let mut buf = [0u8; 64];
    match sys::readlink(path, &mut buf) {
        Ok(n) => {
            b.esc(&buf[..n]);
        }
        Err(e) => {
            b.p(t!("unavailable ("));
            put_errno_text(b, e);
            b.byte(b')');
        }
    }
}

/// Write the `NSpid:` line of /proc/self/status: this process's PID in
/// each PID namespace it belongs to, outermost first.
fn nspid(b: &mut Buf) {
    let mut status = [0u8; 4096];
    let got = sys::open(c"/proc/self/status", O_RDONLY | O_CLOEXEC)
        .and_then(|fd| sys::read_full(fd.raw(), &mut status));
    match got.and_then(|n| status_field(&status[..n], b"NSpid:").ok_or(Errno::ENOENT)) {
        Ok(line) => {
            b.esc(line);
        }
        Err(e) => {
            b.p(t!("NSpid: unavailable (/proc/self/status: "));
            put_errno_text(b, e);
            b.byte(b')');
        }
    }
}

/// The whole line of a `/proc/<pid>/status` text that starts with `key`
/// (e.g. `b"NSpid:"`), without its newline.
pub fn status_field<'a>(status: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    status
        .split(|&b| b == b'\n')
        .find(|line| line.starts_with(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &[u8] =
        b"Name:\tns-tool\nTgid:\t4243\nPid:\t4243\nPPid:\t0\nNSpid:\t4243\t1\nNSsid:\t1\n";

    #[test]
    fn finds_nspid_line() {
        assert_eq!(
            status_field(STATUS, b"NSpid:"),
            Some(&b"NSpid:\t4243\t1"[..])
        );
        assert_eq!(status_field(STATUS, b"PPid:"), Some(&b"PPid:\t0"[..]));
    }

    #[test]
    fn missing_field_is_none() {
        assert_eq!(status_field(b"Name:\tx\n", b"NSpid:"), None);
        assert_eq!(status_field(b"", b"NSpid:"), None);
    }

    #[test]
    fn a_link_that_cannot_be_read_says_why() {
        let mut b = Buf::new();
        link(&mut b, c"/nonexistent/ns/pid");
        assert_eq!(
            b.as_bytes(),
            b"unavailable (No such file or directory (ENOENT))"
        );
    }
}
