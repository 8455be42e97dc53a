//! What the integration tests share: real components started on loopback (Azurite, an SMTP
//! server) and the rule for a component that is missing.

pub mod azurite;
pub mod faults;
pub mod server;
pub mod smtp;

/// What to do when a real component cannot be found: with `DRIFTSCAN_REQUIRE_COMPONENTS=1` (set by
/// scripts/test.sh, so in CI) the test fails and says why; otherwise it says loudly that this part
/// was skipped and returns `None`. No test skips a component silently.
pub fn component_missing<T>(component: &str, why: &str) -> Option<T> {
    assert!(
        std::env::var("DRIFTSCAN_REQUIRE_COMPONENTS").as_deref() != Ok("1"),
        "{component} is required (DRIFTSCAN_REQUIRE_COMPONENTS=1) but {why}; run scripts/test.sh"
    );
    eprintln!("SKIPPED: {component} not available ({why}); this part of the test did not run");
    None
}

/// Runs a reference script of `scripts/reference/` with the Python of `DRIFTSCAN_PYTHON` (numpy,
/// scipy, scikit-learn) and parses what it prints; `None` when that Python is missing and not
/// required (see [`component_missing`]).
pub fn run_reference_script(script: &str) -> Option<serde_json::Value> {
    let python = match std::env::var("DRIFTSCAN_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            return component_missing(
                "the reference script's Python",
                "DRIFTSCAN_PYTHON is not set (a Python with numpy and scipy)",
            );
        }
    };
    let out = std::process::Command::new(&python)
        .arg(script)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{python}`: {e}"));
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("the reference script prints JSON"))
}
