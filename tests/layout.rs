//! The dependency rule of `src/lib.rs`, kept by reading every `use crate::` (and `crate::x::`
//! path) under `src/`: a module may only reach modules on its own layer or below, and the
//! adapters never reach `data` or `profile` except through the pipeline.

use std::path::{Path, PathBuf};

use driftscan::{ADAPTERS_NEVER_IMPORT, LAYERS};

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a source line names as `crate::<module>`.
fn crate_modules(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.push(name);
        }
        rest = after;
    }
    found
}

/// Every import against the rule, as `file:line: module -> module`.
fn violations() -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut bad = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let Some(owner) = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|s| s.trim_end_matches(".rs").to_string())
        else {
            continue;
        };
        let Some(own_layer) = layer_of(&owner) else {
            continue; // lib.rs, main.rs
        };
        let text = std::fs::read_to_string(&file).expect("read file");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for module in crate_modules(code) {
                let Some(layer) = layer_of(&module) else {
                    continue;
                };
                let adapter = LAYERS.last().is_some_and(|l| l.contains(&owner.as_str()));
                if layer > own_layer
                    || (adapter && ADAPTERS_NEVER_IMPORT.contains(&module.as_str()))
                {
                    bad.push(format!(
                        "src/{}:{}: {owner} -> {module}",
                        rel.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    bad
}

#[test]
fn imports_follow_the_layers() {
    let bad = violations();
    assert!(
        bad.is_empty(),
        "imports against the dependency rule:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_rule_sees_imports() {
    assert_eq!(
        crate_modules("use crate::data::{self, Input}; let x = crate::profile::build();"),
        ["data", "profile"]
    );
    assert!(layer_of("pipeline") > layer_of("store"));
}
