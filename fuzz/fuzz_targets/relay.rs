//! `--rewrite S:T` and `--exit-zero N` values, as typed or garbage: the
//! parsers must never panic, must accept exactly what the help promises
//! (decimal S 1-64, T 0-64; N 0-255), and what they accept must take
//! effect as written and nowhere else.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ns_tool::engine::signals::Relay;

/// The promise, written the plain way: up to three decimal digits.
fn decimal(s: &[u8]) -> Option<u32> {
    let ok = !s.is_empty() && s.len() <= 3 && s.iter().all(u8::is_ascii_digit);
    ok.then(|| std::str::from_utf8(s).unwrap().parse().unwrap())
}

fuzz_target!(|data: &[u8]| {
    // First byte picks the parser, the rest is the value.
    let Some((&which, value)) = data.split_first() else {
        return;
    };
    let mut relay = Relay::default();
    if which & 1 == 0 {
        let model = value.iter().position(|&b| b == b':').and_then(|c| {
            let from = decimal(&value[..c]).filter(|f| (1..=64).contains(f))?;
            let to = decimal(&value[c + 1..]).filter(|&t| t <= 64)?;
            Some((from, to))
        });
        assert_eq!(relay.add_rewrite(value), model.is_some(), "{value:?}");
        for sig in 1..=64 {
            let expected = match model {
                Some((from, 0)) if from == sig => None,
                Some((from, to)) if from == sig => Some(to),
                _ => Some(sig),
            };
            assert_eq!(relay.signal(sig), expected, "{value:?} {sig}");
        }
    } else {
        let model = decimal(value).filter(|&n| n <= 255);
        assert_eq!(relay.add_exit_zero(value), model.is_some(), "{value:?}");
        for code in -1..=300 {
            let zeroed = model == Some(code as u32) && code >= 0;
            assert_eq!(relay.status(code), if zeroed { 0 } else { code });
        }
    }
});
