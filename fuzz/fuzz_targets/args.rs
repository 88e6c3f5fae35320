//! Split the input on NUL bytes into argv words and parse them: the parser
//! must never panic, and a COMMAND it finds must lie inside argv.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ns_tool::cli::Command;
use ns_tool::cmd::parse;
use ns_tool::engine::MAX_NEST;

fuzz_target!(|data: &[u8]| {
    let words: Vec<&[u8]> = data.split(|&b| b == 0).collect();
    if let Ok(Command::Run(opts)) = parse(&words.as_slice()) {
        if let Some(at) = opts.command {
            assert!(at < words.len());
        }
        assert!((1..=MAX_NEST).contains(&opts.nest));
    }
});
