//! The architecture, held: the raw system-call layer (src/sys/) sits at the
//! bottom and uses nothing of ns-tool above it but the writer (src/text.rs,
//! which itself uses nothing).

fn sources(dir: &str) -> Vec<(String, String)> {
    let dir = format!("{}/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    assert!(!out.is_empty(), "{dir} has sources");
    out
}

#[test]
fn the_raw_layer_uses_nothing_above_it() {
    for (file, code) in sources("src/sys") {
        for (n, line) in code.lines().enumerate() {
            if let Some(i) = line.find("crate::") {
                let what = &line[i + "crate::".len()..];
                assert!(
                    what.starts_with("text"),
                    "{file}:{}: the raw layer uses `crate::{what}`: only crate::text may be used \
                     from src/sys",
                    n + 1
                );
            }
        }
    }
}

#[test]
fn the_writer_uses_nothing() {
    let code =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/text.rs")).unwrap();
    assert!(
        !code.contains("use crate::"),
        "src/text.rs must stand alone"
    );
}
