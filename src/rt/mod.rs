//! The runtime under every subcommand that is not a raw system call: the
//! command line as the kernel left it, and output one line per write(2).

pub mod argv;
pub mod out;
