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

/// The `[dependencies]` of a Cargo.toml (crate names as written).
fn dependencies(toml: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut section = String::new();
    for line in toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.to_string();
            continue;
        }
        let is_deps = section == "[dependencies]"
            || (section.starts_with("[target.") && section.ends_with(".dependencies]"));
        if is_deps
            && let Some((name, _)) = line.split_once('=')
            && !name.trim().starts_with('#')
        {
            names.push(name.trim().to_string());
        }
    }
    names
}

#[test]
fn every_dependency_is_used_and_listed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let toml = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let code: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("source"))
        .collect();
    let mut problems = Vec::new();
    for dep in dependencies(&toml) {
        let id = dep.replace('-', "_");
        let used = [format!("{id}::"), format!("{id}!"), format!("use {id};")]
            .iter()
            .any(|p| code.contains(p.as_str()));
        if !used {
            problems.push(format!(
                "`{dep}` is in Cargo.toml but no file under src/ uses it"
            ));
        }
        if !readme.contains(&format!("`{dep}`")) {
            problems.push(format!("`{dep}` is not in the README's dependency table"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
