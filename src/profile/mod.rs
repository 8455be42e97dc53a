//! Typed Arrow batches in, a mergeable, serialisable [`Profile`] out, in one streaming pass.

pub mod sample;
pub mod sketch;

use crate::data::Input;

/// Summary of one dataset: per-column sketches and statistics plus a bounded row sample.
#[derive(Debug, Clone)]
pub struct Profile {}

/// Knobs of profiling.
#[derive(Debug, Clone)]
pub struct ProfileOptions {}

/// Why a dataset could not be profiled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {}

/// Profiles a dataset made of one or more files in one streaming pass.
pub fn build(_inputs: &[Input], _options: &ProfileOptions) -> Result<Profile, ProfileError> {
    todo!("profile::build")
}

impl Profile {
    /// Versioned binary encoding, for caching baseline profiles.
    pub fn to_bytes(&self) -> Vec<u8> {
        todo!("Profile::to_bytes")
    }

    /// Reads what [`Profile::to_bytes`] wrote; rejects other format versions with a clear error.
    pub fn from_bytes(_bytes: &[u8]) -> Result<Profile, ProfileError> {
        todo!("Profile::from_bytes")
    }
}
