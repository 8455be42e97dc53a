//! The README shows what the demo prints: its demo command, run in an empty folder, prints exactly
//! the fenced block under "## The demo". The demo's data, seed and dates are fixed and its paths
//! are relative to the folder it runs in, so nothing but a temp dir path could vary.

use std::path::Path;

use crate::cli::{driftscan, stderr, stdout};

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    std::fs::read_to_string(&path).expect("README.md")
}

/// The lines after `heading` up to the next `## ` heading.
fn section<'a>(readme: &'a str, heading: &str) -> Vec<&'a str> {
    let mut lines = readme.lines().skip_while(|l| l.trim_end() != heading);
    assert!(
        lines.next().is_some(),
        "README.md has no `{heading}` section"
    );
    lines.take_while(|l| !l.starts_with("## ")).collect()
}

/// The body of the first block fenced with "```text" in the lines.
fn first_text_block(lines: &[&str]) -> String {
    let mut body = lines.iter().skip_while(|l| l.trim_end() != "```text");
    assert!(body.next().is_some(), "no ```text block");
    let mut text = String::new();
    for line in body {
        if line.trim_end() == "```" {
            return text;
        }
        text.push_str(line);
        text.push('\n');
    }
    panic!("the ```text block is never closed");
}

/// The arguments of the demo command in "## Two commands": the words after `--` on the line
/// that starts with `cargo run`, up to the comment.
fn demo_args(readme: &str) -> Vec<String> {
    let lines = section(readme, "## Two commands");
    let line = lines
        .iter()
        .find(|l| l.starts_with("cargo run"))
        .expect("a `cargo run` line in \"## Two commands\"");
    let command = line.split('#').next().unwrap_or_default();
    let (_, args) = command
        .split_once(" -- ")
        .expect("`cargo run ... -- <args>`");
    args.split_whitespace().map(str::to_string).collect()
}

#[test]
fn readme_demo_output_is_what_the_demo_prints() {
    let readme = readme();
    let args = demo_args(&readme);
    assert_eq!(args.first().map(String::as_str), Some("demo"), "{args:?}");
    let expected = first_text_block(&section(&readme, "## The demo"));

    let dir = tempfile::tempdir().expect("temp dir");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = driftscan(&args, dir.path());
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let printed = stdout(&out).replace(&format!("{}/", dir.path().display()), "");

    if printed != expected {
        let (line, want, got) = expected
            .lines()
            .map(Some)
            .chain(std::iter::repeat(None))
            .zip(printed.lines().map(Some).chain(std::iter::repeat(None)))
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| (i + 1, a.unwrap_or("<end>"), b.unwrap_or("<end>")))
            .unwrap_or((0, "", ""));
        panic!(
            "README.md's demo output differs from what `driftscan {}` prints, first at line {line} \
             of the block:\n  README: {want}\n  demo:   {got}\nPaste the demo's output into the \
             README:\n{printed}",
            args.join(" ")
        );
    }
}
