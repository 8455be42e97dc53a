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
