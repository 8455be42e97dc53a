//! The reference a run compares a service's production window with: the detector's baseline, or
//! a window of earlier production days (rolling or fixed, [`crate::detector::windows`]) merged
//! from the cached profiles of its days.
//!
//! Every day of a service's snapshots is profiled once: a run whose production window is one day
//! caches the profile it built of that day, and a reference day that is not cached yet is
//! profiled (the same way as a target) and cached when a window first needs it. A cached day is
//! stored at `profiles/{detector}/{service}/{yyyy}/{mm}/{dd}.profile`, beside
//! `{dd}.sources.json`, which records the day's files (keys, sizes, change tags from HEAD
//! requests), the column types the day was profiled with and the SHA-256 of the profile's bytes:
//! when a file arrives late, changes or vanishes, the day is profiled again rather than served
//! stale, and a profile that no longer decodes (written by another format version) is rebuilt.
//! A reference window is then the exact merge of its days' profiles ([`Profile::merge_all`]): its
//! statistics are those of profiling all its files at once, bit for bit, at the cost of reading
//! one small profile per day.
//!
//! Column types: a day is profiled with the baseline's column types when the detector has a
//! baseline (which then only fixes the types: the window is the reference), and otherwise with
//! the types declared in `feature_types` and the rest inferred from the day's data, as a
//! baseline dataset's are. Days whose inferred types disagree (a column that holds text on some
//! days) cannot be merged: the run fails, naming the column and the days, and the fix is to
//! declare the column's type. The production window is profiled like a reference day, so that its
//! profile can be cached as one; should its types disagree with the reference's, it is profiled
//! again with the reference's types, as a scan types its target like its baseline.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::data::{ColumnKind, Input, ReadError};
use crate::detector::{Detector, RunWindows, Window};
use crate::drift::result::DatasetSummary;
use crate::profile::{Profile, ProfileError};
use crate::store::{Key, PutCondition, Store, keys};

use super::baseline::{self, Baseline};
use super::local::declared_kinds;
use super::locate::snapshot_files;
use super::run::{target_profile, target_profile_against};
use super::{PipelineError, blocking, error_chain};

/// Days read at the same time while a window is assembled (cached profiles decode in parallel,
/// uncached days profile one after the other in each slot).
const DAYS_IN_FLIGHT: usize = 2;

/// Day profiles merged at once: the merge is exact in any grouping, and groups keep at most this
/// many decoded profiles in memory whatever the window's length.
const MERGE_GROUP: usize = 4;

/// The reference of one service for one run, and the days it scores.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The profile compared with, and what the result says of it.
    pub baseline: Baseline,
    /// The production days scored.
    pub production: Window,
    /// The reference window's days, when the reference is a window (not the baseline).
    pub window: Option<Window>,
    /// Column types a reference day is profiled with, when the production window is one day of
    /// a detector with a reference window: its profile is then cached as that day's.
    pub day_types: Option<Vec<(String, ColumnKind)>>,
    /// Warnings for the result: days without data, windows that overlap.
    pub warnings: Vec<String>,
}

/// The detector's baseline, or `None` when it has none (a reference window replaces it).
pub async fn load_baseline(
    store: &Arc<dyn Store>,
    detector: &Detector,
) -> Result<Option<Baseline>, PipelineError> {
    if detector.baseline.is_empty() {
        return Ok(None);
    }
    baseline::load(store, detector).await.map(Some)
}

/// The reference of `service` for the run that scores `cycle`.
pub async fn resolve(
    store: &Arc<dyn Store>,
    detector: &Detector,
    service: &str,
    cycle: Window,
    baseline: Option<&Baseline>,
) -> Result<Reference, PipelineError> {
    let windows = RunWindows::of(detector, cycle);
    let Some(window) = windows.reference else {
        let baseline = baseline
            .cloned()
            .ok_or_else(|| PipelineError::NoBaseline(detector.baseline.clone()))?;
        return Ok(Reference {
            baseline,
            production: windows.production,
            window: None,
            day_types: None,
            warnings: Vec::new(),
        });
    };
    let types = match baseline {
        Some(b) => b.profile.kinds(),
        None => declared_kinds(&detector.feature_types),
    };
    let assembled = assemble(store, detector, service, window, &types).await?;
    let mut warnings = Vec::new();
    if assembled.days_with_data < assembled.days {
        warnings.push(format!(
            "reference window {}..{}: {} of {} days had data",
            window.start, window.end, assembled.days_with_data, assembled.days
        ));
    }
    if windows.overlap() {
        warnings.push(format!(
            "reference window {}..{} overlaps the production window {}..{}: the days they share are compared with themselves, which hides drift",
            window.start, window.end, windows.production.start, windows.production.end
        ));
    }
    let mut profile = assembled.profile;
    profile.source = format!(
        "reference window {}..{} ({} of {} days)",
        window.start, window.end, assembled.days_with_data, assembled.days
    );
    let summary = DatasetSummary {
        source: profile.source.clone(),
        files: profile.files.len(),
        rows: profile.rows,
        content_hash: Some(profile.content_hash.clone()),
    };
    let single_day = windows.production.start == windows.production.end;
    Ok(Reference {
        baseline: Baseline {
            profile: Arc::new(profile),
            summary,
        },
        production: windows.production,
        window: Some(window),
        day_types: single_day.then_some(types),
        warnings,
    })
}

/// The production profile, and the day profile to cache when `day_types` is given (see the
/// module docs). Without `day_types`, the data is profiled against the reference
/// ([`ProfileOptions::against`](crate::profile::ProfileOptions::against)), as always. With them,
/// it is profiled as a reference day, and that profile, with its values outside the reference's
/// ranges counted from its sketches, is the target when its types agree with the reference's and
/// the count is exact (as a one-shot scan settles its target); otherwise the data is profiled again
/// against the reference.
pub(super) fn production_profile(
    reference: &Profile,
    day_types: Option<Vec<(String, ColumnKind)>>,
    inputs: Vec<Input>,
    saved: Option<Profile>,
    source_name: String,
) -> Result<(Profile, Option<Profile>), PipelineError> {
    let Some(types) = day_types else {
        let target = target_profile_against(reference, inputs, saved, source_name)?;
        return Ok((target, None));
    };
    let day = target_profile(types, inputs.clone(), saved.clone(), source_name.clone())?;
    let kinds = reference.columns_by_name();
    let agrees = day.columns.iter().all(|c| {
        kinds
            .get(c.name.as_str())
            .is_none_or(|r| r.kind() == c.kind())
    });
    let mut target = day.clone();
    if agrees && target.count_outside_from_sketches(&reference.numeric_bounds()) {
        Ok((target, Some(day)))
    } else {
        let target = target_profile_against(reference, inputs, saved, source_name)?;
        Ok((target, Some(day)))
    }
}

/// A window's merged profile and how many of its days had data.
struct Assembled {
    profile: Profile,
    days: usize,
    days_with_data: usize,
}

/// One day of a window: its profile, or nothing when it had no data.
type DayProfile = (NaiveDate, Option<Profile>);

/// Merges the profiles of the window's days, from the cache or profiled and cached.
async fn assemble(
    store: &Arc<dyn Store>,
    detector: &Detector,
    service: &str,
    window: Window,
    types: &[(String, ColumnKind)],
) -> Result<Assembled, PipelineError> {
    let template = detector.snapshot_template()?;
    let (data, template) = super::data_roots()?.open_template(store, &template)?;
    let days: Vec<NaiveDate> = window.days().collect();
    let total = days.len();
    let mut loads = futures::stream::iter(days)
        .map(|day| {
            let (data, template) = (Arc::clone(&data), template.clone());
            async move {
                let files = snapshot_files(
                    &*data,
                    &template,
                    detector,
                    service,
                    &Window {
                        start: day,
                        end: day,
                    },
                )
                .await?;
                day_profile(store, &data, detector, service, day, files, types).await
            }
        })
        .buffered(DAYS_IN_FLIGHT);
    let mut merged: Option<Profile> = None;
    let mut group: Vec<Profile> = Vec::new();
    let mut with_data = 0;
    // Column names and types of every day, to name the days when they cannot be merged.
    let mut schemas: Vec<(NaiveDate, Vec<(String, ColumnKind)>)> = Vec::new();
    let mut mergeable = true;
    while let Some(loaded) = loads.next().await {
        let (day, profile): DayProfile = loaded?;
        let Some(profile) = profile else { continue };
        with_data += 1;
        let kinds = profile.kinds();
        if schemas.first().is_some_and(|(_, first)| *first != kinds) {
            mergeable = false;
        }
        schemas.push((day, kinds));
        if !mergeable {
            continue;
        }
        group.push(profile);
        if group.len() == MERGE_GROUP {
            merged = Some(merge_group(merged, std::mem::take(&mut group)).await?);
        }
    }
    if !mergeable {
        return Err(PipelineError::ReferenceWindow(schema_conflict(
            window, &schemas,
        )));
    }
    if !group.is_empty() {
        merged = Some(merge_group(merged, group).await?);
    }
    let profile = merged.ok_or_else(|| {
        PipelineError::ReferenceWindow(format!(
            "reference window {}..{}: none of its {total} days has snapshot data for service `{service}`",
            window.start, window.end
        ))
    })?;
    Ok(Assembled {
        profile,
        days: total,
        days_with_data: with_data,
    })
}

/// `merged` with `group` merged in, off the async threads.
async fn merge_group(
    merged: Option<Profile>,
    group: Vec<Profile>,
) -> Result<Profile, PipelineError> {
    blocking("merging the reference window's days", move || {
        let parts: Vec<Profile> = merged.into_iter().chain(group).collect();
        Profile::merge_all(parts).map_err(|e| PipelineError::ReferenceWindow(e.to_string()))
    })
    .await
}

/// Why days cannot be merged: the first column whose type differs, with the days of each type,
/// or the days whose columns differ.
fn schema_conflict(window: Window, schemas: &[(NaiveDate, Vec<(String, ColumnKind)>)]) -> String {
    let days_list = |days: &[NaiveDate]| {
        let shown: Vec<String> = days.iter().take(5).map(ToString::to_string).collect();
        let more = days.len().saturating_sub(5);
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    let mut by_column: BTreeMap<&str, BTreeMap<&'static str, Vec<NaiveDate>>> = BTreeMap::new();
    for (day, kinds) in schemas {
        for (name, kind) in kinds {
            by_column
                .entry(name)
                .or_default()
                .entry(kind.as_str())
                .or_default()
                .push(*day);
        }
    }
    if let Some((name, kinds)) = by_column.iter().find(|(_, k)| k.len() > 1) {
        let parts: Vec<String> = kinds
            .iter()
            .map(|(kind, days)| format!("{kind} on {}", days_list(days)))
            .collect();
        return format!(
            "reference window {}..{}: column `{name}` is {}; declare its type in `feature_types` (or give a baseline) so that every day is read alike",
            window.start,
            window.end,
            parts.join(" and ")
        );
    }
    let names = |kinds: &[(String, ColumnKind)]| {
        kinds
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (first_day, first) = &schemas[0];
    let mut other: BTreeMap<String, Vec<NaiveDate>> = BTreeMap::new();
    for (day, kinds) in schemas.iter().filter(|(_, k)| k != first) {
        other.entry(names(kinds)).or_default().push(*day);
    }
    let (columns, days) = other.into_iter().next().unwrap_or_default();
    format!(
        "reference window {}..{}: the days have different columns ({first_day} has {}; {} {} {columns}); a reference window needs the same columns, in the same order, every day",
        window.start,
        window.end,
        names(first),
        days_list(&days),
        if days.len() == 1 { "has" } else { "have" },
    )
}

/// One file a day was profiled from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct SourceFile {
    key: String,
    size: u64,
    tag: String,
}

/// `{dd}.sources.json`: what a cached day profile was built from.
#[derive(Debug, Serialize, Deserialize)]
struct DaySources {
    /// The day's files, in key order.
    files: Vec<SourceFile>,
    /// SHA-256 of the column types the day was profiled with.
    types_sha256: String,
    /// SHA-256 of the profile's bytes, so a profile replaced without its record is not trusted.
    profile_sha256: String,
}

fn types_digest(types: &[(String, ColumnKind)]) -> String {
    let mut text: Vec<String> = types
        .iter()
        .map(|(n, k)| format!("{n}={}", k.as_str()))
        .collect();
    text.sort();
    hex::encode(crate::base::hash::sha256(text.join("\n").as_bytes()))
}

/// The files' keys, sizes and change tags, from HEAD requests (the listing gives keys only).
async fn sources_of(
    data: &Arc<dyn Store>,
    files: &[Key],
) -> Result<Vec<SourceFile>, PipelineError> {
    let mut out = Vec::with_capacity(files.len());
    for key in files {
        if let Some(meta) = data.head(key).await? {
            out.push(SourceFile {
                key: key.to_string(),
                size: meta.size,
                tag: meta.tag,
            });
        }
    }
    Ok(out)
}

/// The profile of one day of a window: cached, or profiled and cached; `None` without data.
async fn day_profile(
    store: &Arc<dyn Store>,
    data: &Arc<dyn Store>,
    detector: &Detector,
    service: &str,
    day: NaiveDate,
    files: Vec<Key>,
    types: &[(String, ColumnKind)],
) -> Result<DayProfile, PipelineError> {
    if files.is_empty() {
        return Ok((day, None));
    }
    let sources = sources_of(data, &files).await?;
    if let Some(p) = cached(store, detector, service, day, &sources, types).await {
        return Ok((day, Some(p)));
    }
    let (inputs, saved, prefix) = super::run::snapshot_parts(data, files).await?;
    let pinned = types.to_vec();
    let built = blocking("profiling a day of the reference window", move || {
        target_profile(pinned, inputs, saved, prefix)
    })
    .await;
    let profile = match built {
        Ok(p) => p,
        // Files without a single row: a day without data.
        Err(PipelineError::Profile {
            source: ProfileError::Read(ReadError::NoRows { .. }),
            ..
        }) => return Ok((day, None)),
        Err(e) => return Err(e),
    };
    let profile = Arc::new(profile);
    remember(
        store,
        detector,
        service,
        day,
        sources,
        types,
        Arc::clone(&profile),
    )
    .await;
    let profile = Arc::try_unwrap(profile).unwrap_or_else(|p| (*p).clone());
    Ok((day, Some(profile)))
}

/// The day's cached profile, if it was built from exactly these files with these types and
/// still decodes.
async fn cached(
    store: &Arc<dyn Store>,
    detector: &Detector,
    service: &str,
    day: NaiveDate,
    sources: &[SourceFile],
    types: &[(String, ColumnKind)],
) -> Option<Profile> {
    let record_key = keys::day_profile_sources(&detector.name, service, day).ok()?;
    let record = store.get(&record_key).await.ok()??;
    let record: DaySources = serde_json::from_slice(&record.bytes).ok()?;
    if record.files != sources || record.types_sha256 != types_digest(types) {
        return None;
    }
    let key = keys::day_profile(&detector.name, service, day).ok()?;
    let object = store.get(&key).await.ok()??;
    let expected = record.profile_sha256;
    let decoded = blocking("reading a cached day profile", move || {
        if hex::encode(crate::base::hash::sha256(&object.bytes)) != expected {
            return Ok(None);
        }
        Ok(Profile::from_bytes(&object.bytes).ok())
    })
    .await
    .ok()
    .flatten();
    if decoded.is_none() {
        tracing::info!(message = "Profiling a day again: its cached profile is stale or unreadable.", key = %key);
    }
    decoded
}

/// Caches a day's profile with what it was built from. An optimisation: a run does not fail
/// because the cache could not be written.
pub(super) async fn remember(
    store: &Arc<dyn Store>,
    detector: &Detector,
    service: &str,
    day: NaiveDate,
    sources: Vec<SourceFile>,
    types: &[(String, ColumnKind)],
    profile: Arc<Profile>,
) {
    let written: Result<(), PipelineError> = async {
        let key = keys::day_profile(&detector.name, service, day)?;
        let record_key = keys::day_profile_sources(&detector.name, service, day)?;
        let bytes = blocking("encoding a day profile", move || Ok(profile.to_bytes())).await?;
        let record = DaySources {
            files: sources,
            types_sha256: types_digest(types),
            profile_sha256: hex::encode(crate::base::hash::sha256(&bytes)),
        };
        let record = serde_json::to_vec_pretty(&record)
            .map_err(|e| PipelineError::ReferenceWindow(e.to_string()))?;
        store
            .put(&key, bytes.into(), PutCondition::Overwrite)
            .await?;
        store
            .put(&record_key, record.into(), PutCondition::Overwrite)
            .await?;
        Ok(())
    }
    .await;
    if let Err(e) = written {
        tracing::warn!(message = "Could not cache a day profile.", detector = %detector.name, service, day = %day, error = %error_chain(&e));
    }
}

/// What the production day's profile is cached with: its files' keys, sizes and change tags,
/// taken before it is read (so a file that changes while it is read makes the record stale, not
/// the profile).
pub(super) async fn production_sources(
    data: &Arc<dyn Store>,
    files: &[Key],
) -> Result<Vec<SourceFile>, PipelineError> {
    sources_of(data, files).await
}
