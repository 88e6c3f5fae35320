//! The engine: create namespaces, fork into them, supervise, run COMMAND.
//! Every subcommand that runs something in new namespaces calls [`run`]
//! with its [`Spec`]; `init` runs on it too, without step 1.
//!
//! 1. unshare(CLONE_NEWPID) (plus CLONE_NEWUSER for `--user`, CLONE_NEWNS
//!    for `--mount-proc`): this process stays in its PID namespace, but its
//!    next child is born into the new one.
//! 2. fork: the child is PID 1 there; its parent lives outside, so its
//!    getppid() says 0. With `--nest N` the child repeats 1 and 2 until it
//!    is N levels deep.
//! 3. The innermost child shows the subcommand's [`Demo`], execs COMMAND,
//!    or, with `--init`, stays PID 1 and runs COMMAND as PID 2.
//! 4. Every parent passes signals on, reaps its child with wait4, and exits
//!    with the child's status. A pipe holds each child until its parent is
//!    ready, which fixes the order of the output; PR_SET_PDEATHSIG makes
//!    the kernel kill each child if its parent dies, even by SIGKILL.

pub mod command;
pub mod init;
pub mod jobs;
pub mod ns;
pub mod procfs;
pub mod signals;
pub mod supervise;

use core::ffi::CStr;

use linux_raw_sys::general::{CLONE_NEWPID, O_CLOEXEC, SIGKILL};

use crate::error::{self, Error, EXIT_FAILURE};
use crate::rt::argv::Argv;
use crate::rt::out::{out, say};
use crate::sys::{self, trace, Errno, Fd, Fork, SigSet, WaitStatus};
use crate::text::Buf;
use command as exec;
use jobs::{Sentinel, Terminal};
use signals::{Inherited, Relay, WATCHED};
use supervise::Supervisor;

/// The kernel's limit on nested PID namespaces (MAX_PID_NS_LEVEL).
pub const MAX_NEST: u8 = 32;
// The usage messages spell the limit out.
const _: () = assert!(MAX_NEST == 32);

/// What a run asks of the engine: the options of `ns-tool pid` and
/// `ns-tool init`, as parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// `--init`: ns-tool stays PID 1 and runs COMMAND as PID 2.
    pub init: bool,
    /// `--mount-proc`: a new mount namespace with a fresh /proc.
    pub mount_proc: bool,
    /// `--user`: a user namespace first, mapping the caller to root.
    pub user: bool,
    /// `--nest N`: how many PID namespaces deep (1 to [`MAX_NEST`]).
    pub nest: u8,
    /// Where COMMAND starts, as an index into the arguments after the
    /// program name; `None` runs the demonstration.
    pub command: Option<usize>,
    /// `--trace` (before or after the subcommand): print every system call.
    pub trace: bool,
    /// `--pause` (catatonit -P): run no COMMAND, reap, and exit 0 at
    /// SIGINT or SIGTERM (with `pid`, as the namespace's PID 1).
    pub pause: bool,
    /// Create a PID namespace: `pid`, `clone`, and `--pid` of the other
    /// namespace subcommands.
    pub newpid: bool,
    /// `ns-tool init`: be COMMAND's init, in no new namespace (a
    /// subreaper, or a machine's or container's PID 1).
    pub bare_init: bool,
    /// The `CLONE_NEW*` namespaces the namespace's first process unshares
    /// for itself, after the fork (`uts`: CLONE_NEWUTS): its parent stays
    /// outside them, to show the other side.
    pub inner: u32,
    /// The `CLONE_NEW*` namespaces the parent unshares besides those of
    /// `--pid`, `--user` and `--mount-proc` (`time`: CLONE_NEWTIME, which,
    /// as CLONE_NEWPID, the parent's next child is born into).
    pub outer: u32,
    /// The subcommand's option values (`uts --hostname NAME`), as where
    /// they are in argv: see [`Spec::value`].
    pub values: [Value; 2],
    /// What the subcommand shows and sets up around the fork.
    pub demo: &'static Demo,
    /// `clone`: create the namespaces and their first process with one
    /// clone3(2) call (clone(2) where clone3 is refused), not unshare and
    /// fork; wait for it through its pidfd.
    pub clone3: bool,
    /// How signals and the exit status are relayed.
    pub relay: Relay,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            init: false,
            mount_proc: false,
            user: false,
            nest: 1,
            command: None,
            trace: false,
            pause: false,
            newpid: true,
            bare_init: false,
            inner: 0,
            outer: 0,
            values: [Value::NONE; 2],
            demo: &NO_DEMO,
            clone3: false,
            relay: Relay::default(),
        }
    }
}

/// Where an option's value is in argv: word `index` (0 is argv[1]) from
/// byte `offset` (`--hostname=NAME`), `index` 0xffff for none. Not the
/// bytes: a `Spec` is a plain value, free of argv's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Value {
    pub index: u16,
    pub offset: u16,
}

impl Value {
    pub const NONE: Value = Value {
        index: u16::MAX,
        offset: 0,
    };
}

impl Spec {
    /// Option value `n` (0 or 1) as given on the command line, if it was
    /// (static, as argv is: it can name an error's argument).
    pub fn value(&self, argv: &Argv, n: usize) -> Option<&'static CStr> {
        let v = self.values[n];
        (v.index != u16::MAX).then(|| {
            let word = argv.arg(v.index.into()).to_bytes_with_nul();
            // SAFETY: the tail of a C string is one (the offset is at most
            // the word's length: Cursor::place).
            unsafe { CStr::from_bytes_with_nul_unchecked(&word[v.offset.into()..]) }
        })
    }
}

/// What a subcommand shows and sets up around the fork, each step given
/// the run's [`Spec`] and argv (for its option values). Function
/// pointers: a generic engine would be built again for each subcommand
/// (+4.7 KB for the second); these measured +56 B for all.
pub struct Demo {
    /// In the parent, after its unshare, before the fork (`time` writes
    /// its clock offsets here, before any process is in the namespace).
    pub prepare: fn(&Spec, &Argv) -> Result<(), Error>,
    /// In the namespace's first process, once it has unshared `inner`,
    /// before the demonstration or COMMAND (`uts` sets the hostname).
    pub enter: fn(&Spec, &Argv) -> Result<(), Error>,
    /// Demonstration: in the parent, once the namespace's first process
    /// is forked, with its PID as the parent sees it.
    pub forked: fn(child: i32, &Spec, &Argv),
    /// Demonstration: in the parent, once that child has ended; the exit
    /// status.
    pub ended: fn(child: i32, status: WaitStatus, &Spec, &Argv) -> Result<i32, Error>,
    /// Demonstration: in the innermost child, instead of COMMAND; its exit
    /// status.
    pub inside: fn(&Spec, &Argv) -> Result<i32, Error>,
}

/// Demos are statics, one per subcommand: the same one is the same static.
impl PartialEq for Demo {
    fn eq(&self, other: &Demo) -> bool {
        core::ptr::eq(self, other)
    }
}

impl Eq for Demo {}

impl core::fmt::Debug for Demo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Demo")
    }
}

/// A step that has nothing to do.
pub fn nothing(_: &Spec, _: &Argv) -> Result<(), Error> {
    Ok(())
}

/// For what shows nothing (`init`, whose engine runs always have a
/// COMMAND or `--pause`).
pub static NO_DEMO: Demo = Demo {
    prepare: nothing,
    enter: nothing,
    forked: |_, _, _| {},
    ended: |_, _, _, _| Ok(0),
    inside: |_, _| Ok(0),
};

/// What every level of the fork chain needs to know.
struct Plan<'a> {
    opts: &'a Spec,
    argv: &'a Argv,
    /// The signal state to give back to COMMAND.
    inherited: Inherited,
    /// The top ns-tool's PID.
    me: i32,
    /// `--user`: the caller's user and group IDs, to map to root.
    ids: Option<(u32, u32)>,
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

/// Run `spec` as process `me` (for `init`, src/lib.rs has made it a
/// subreaper or prepared the machine), showing demonstration `D` when
/// there is no COMMAND; returns ns-tool's exit status (the child's).
pub fn run(opts: &Spec, argv: &Argv, me: i32) -> Result<i32, Error> {
    let inherited = supervise::block()?;
    let plan = Plan {
        opts,
        argv,
        inherited,
        me,
        // Taken before any new namespace: inside a new user namespace
        // they read as the overflow ID until the maps are written.
        ids: opts.user.then(|| (sys::getuid(), sys::getgid())),
        demo: opts.command.is_none() && !opts.pause,
    };
    if opts.pause && opts.bare_init {
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
    let result = namespace_and_fork(plan, job.as_ref());
    if let Some(sentinel) = job.and_then(|j| j.sentinel) {
        sentinel.stop();
    }
    result
}

/// unshare(2) the namespaces (not for `clone`: its one call makes them
/// with the child), then fork into them.
fn namespace_and_fork(plan: &Plan, job: Option<&Job>) -> Result<i32, Error> {
    let clone3 = plan.opts.clone3;
    // `pid` and `clone` say what they create; the other subcommands show
    // their namespace from both sides instead.
    let pid_only = plan.opts.inner | plan.opts.outer == 0;
    if plan.demo() && pid_only {
        say(match clone3 {
            true => t!("Creating a PID namespace and its child with one clone3 call..."),
            false => t!("Creating new PID namespace..."),
        });
        // Nowhere to show the demonstration: create nothing.
        error::stdout_result()?;
    }
    if ns::outer_flags(plan.opts) != 0 && !clone3 {
        ns::unshare(plan.opts)?;
        if let Some((uid, gid)) = plan.ids {
            ns::map_ids([0, 0], [uid, gid])?;
        }
        if plan.demo() && pid_only {
            say(t!("PID namespace created. Forking child process..."));
        }
    }
    (plan.opts.demo.prepare)(plan.opts, plan.argv)?;
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
    // `clone`: the kernel's descriptor for the child, to wait through.
    let mut pidfd = -1;
    let forked = match level == 1 && plan.opts.clone3 {
        true => ns::clone(plan.opts, &mut pidfd)?,
        false => fork()?,
    };
    // Closed once the child is reaped (the kernel opened it close-on-exec,
    // in this process only).
    let pidfd = (pidfd >= 0).then(|| Fd::own(pidfd));
    let child = match forked {
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
        (plan.opts.demo.forked)(child, plan.opts, plan.argv);
    }
    failpoint(plan.argv, "parent-panic");
    // Whatever happened to our output, release the child. Our own read end
    // stays open until the PID is written, so the write cannot raise
    // SIGPIPE even if the child is already gone.
    let _ = sys::write(ready.raw(), &child.to_ne_bytes());
    drop(ready);
    drop(go);
    if plan.opts.bare_init {
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
    sup.reap_all = plan.opts.bare_init;
    sup.child_leads_group = lead;
    sup.top = top;
    sup.terminal = terminal;
    sup.sentinel = sentinel;
    sup.pidfd = pidfd.as_ref().map_or(-1, Fd::raw);
    let status = sup.run();
    if let Some(terminal) = terminal {
        terminal.take_back(child);
    }
    let status = status?;
    if plan.demo() && top {
        return (plan.opts.demo.ended)(child, status, plan.opts, plan.argv);
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
    // `clone --user`: the child is in the user namespace, with every
    // capability there; it writes its own maps, as unshare's caller does.
    if let (1, true, Some((uid, gid))) = (level, plan.opts.clone3, plan.ids) {
        ns::map_ids([0, 0], [uid, gid])?;
    }
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
    if plan.opts.inner != 0 {
        ns::unshare_inner(plan.opts)?;
    }
    (plan.opts.demo.enter)(plan.opts, plan.argv)?;
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
    if plan.opts.bare_init {
        init::listen_pid(plan.argv, &mut entry);
    }
    supervise::restore(&plan.inherited)?;
    match plan.opts.command {
        None => (plan.opts.demo.inside)(plan.opts, plan.argv),
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
