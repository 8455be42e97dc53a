//! The one-second answer at the top of a page: did it drift, where, and by how much.

use chrono::NaiveDate;

use super::format::{coef, pct};
use crate::detector::Frequency;
use crate::drift::result::{RunResult, RunStatus};
use crate::drift::verdict;

/// How the verdict banner is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Drift above the threshold.
    Drift,
    /// Scored, no drift.
    NoDrift,
    /// Nothing was scored (no data, or no runs in the period).
    Nothing,
    /// Runs failed and nothing was scored.
    Failed,
}

impl Level {
    /// CSS class of the banner.
    pub fn class(self) -> &'static str {
        match self {
            Level::Drift => "v-drift",
            Level::NoDrift => "v-ok",
            Level::Nothing => "v-none",
            Level::Failed => "v-failed",
        }
    }

    fn icon(self) -> &'static str {
        match self {
            Level::Drift => "\u{26A0}",
            Level::NoDrift => "\u{2713}",
            Level::Nothing => "\u{2014}",
            Level::Failed => "\u{2717}",
        }
    }
}

/// A headline and one line of supporting detail, both plain (unescaped) text.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Banner colour.
    pub level: Level,
    /// The sentence read in one second.
    pub headline: String,
    /// Supporting detail: top features, latest run, failures.
    pub detail: String,
}

impl Verdict {
    /// The headline with its icon, as shown in the banner.
    pub fn banner(&self) -> String {
        format!("{} {}", self.level.icon(), self.headline)
    }
}

/// Verdict of one run: data drift's, with the other signals that failed added to it. A run
/// whose input did not drift but whose other signals failed is never shown as all clear.
pub fn for_run(r: &RunResult) -> Verdict {
    let mut v = data_drift_verdict(r);
    if r.run.status == RunStatus::Succeeded
        && let Some(failing) = super::signals::failing_sentence(r)
    {
        if v.level == Level::NoDrift {
            v.level = Level::Drift;
            v.headline = format!("{}; other signals failed", v.headline);
        }
        v.detail = if v.detail.is_empty() {
            failing
        } else {
            format!("{failing} {}", v.detail)
        };
    }
    v
}

fn data_drift_verdict(r: &RunResult) -> Verdict {
    match r.run.status {
        RunStatus::Failed => Verdict {
            level: Level::Failed,
            headline: format!("Run failed for {} on {}", r.service_name, r.datetime),
            detail: r
                .run
                .error
                .clone()
                .unwrap_or_else(|| "No reason was recorded.".to_string()),
        },
        RunStatus::NoData => Verdict {
            level: Level::Nothing,
            headline: format!("No data to score for {} on {}", r.service_name, r.datetime),
            detail: r
                .run
                .error
                .clone()
                .unwrap_or_else(|| "No snapshot was found for the window.".to_string()),
        },
        RunStatus::Succeeded => {
            let c = r.coefficient().unwrap_or(f64::NAN);
            let t = r.drift_threshold;
            // A feature with no contribution explains nothing: leave it out of the sentence.
            let mut top = r.top_contributors(3);
            top.retain(|(_, v)| *v > 0.0);
            let top_text = if top.is_empty() {
                String::new()
            } else {
                top.iter()
                    .map(|(n, v)| format!("{n} ({})", pct(*v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let drifted = r.drifted_features();
            if r.has_drift {
                let mut detail = if top_text.is_empty() {
                    String::new()
                } else {
                    format!("Most drifted features: {top_text}.")
                };
                if !drifted.is_empty() {
                    if !detail.is_empty() {
                        detail.push(' ');
                    }
                    detail.push_str(&format!("Drifted significantly: {}.", drifted.join(", ")));
                }
                Verdict {
                    level: Level::Drift,
                    headline: format!(
                        "Drift detected: coefficient {} > threshold {}",
                        coef(c),
                        coef(t)
                    ),
                    detail,
                }
            } else if !drifted.is_empty() {
                // Below the threshold, yet features moved beyond chance: never "no drift".
                Verdict {
                    level: Level::Drift,
                    headline: format!("Features drifted: {}", verdict::sentence(r)),
                    detail: if top_text.is_empty() {
                        "The domain classifier found no significant difference as a whole; the per-feature tests did.".to_string()
                    } else {
                        format!("Largest contributions: {top_text}.")
                    },
                }
            } else {
                let noise = r
                    .classifier
                    .as_ref()
                    .map(|k| k.noise_floor.max)
                    .filter(|v| v.is_finite());
                let mut detail = match noise {
                    _ if c == 0.0 => {
                        "The classifier could not tell target rows from baseline rows.".to_string()
                    }
                    Some(n) if c.is_finite() && n > 0.0 && c <= n => format!(
                        "The coefficient is within the noise floor ({}) at this sample size.",
                        coef(n)
                    ),
                    _ => String::new(),
                };
                if !top_text.is_empty() {
                    if !detail.is_empty() {
                        detail.push(' ');
                    }
                    detail.push_str(&format!("Largest contributions: {top_text}."));
                }
                Verdict {
                    level: Level::NoDrift,
                    headline: format!(
                        "No drift: coefficient {} \u{2264} threshold {}",
                        coef(c),
                        coef(t)
                    ),
                    detail,
                }
            }
        }
    }
}

/// Name of one scoring period of a frequency, singular and plural.
fn unit(freq: Option<Frequency>, n: usize) -> &'static str {
    match (freq, n == 1) {
        (Some(Frequency::Day), true) => "day",
        (Some(Frequency::Day), false) => "days",
        (Some(Frequency::Week), true) => "week",
        (Some(Frequency::Week), false) => "weeks",
        (Some(Frequency::Month), true) => "month",
        (Some(Frequency::Month), false) => "months",
        (None, true) => "scoring date",
        (None, false) => "scoring dates",
    }
}

/// Verdict of a detector's history: how many scoring periods drifted, the worst run, the latest
/// state, and how many runs did not score.
/// Signals beside data drift that failed on some dates are counted in the detail, and a period
/// whose input did not drift but whose other signals failed is never shown as all clear.
pub fn for_history<R: std::borrow::Borrow<RunResult>>(
    results: &[R],
    freq: Option<Frequency>,
) -> Verdict {
    let results: Vec<&RunResult> = results.iter().map(|r| r.borrow()).collect();
    let mut v = history_drift_verdict(&results, freq);
    // Signal name -> dates it failed on.
    let mut failing: std::collections::BTreeMap<&str, Vec<NaiveDate>> = Default::default();
    let mut scored_dates: Vec<NaiveDate> = Vec::new();
    for r in results
        .iter()
        .filter(|r| r.run.status == RunStatus::Succeeded)
    {
        scored_dates.push(r.datetime);
        for s in r.signals.iter().filter(|s| !s.passed) {
            if s.name != crate::detector::signals::DATA_DRIFT {
                failing.entry(&s.name).or_default().push(r.datetime);
            }
        }
    }
    if failing.is_empty() {
        return v;
    }
    scored_dates.sort();
    scored_dates.dedup();
    let n = scored_dates.len();
    let sentences: Vec<String> = failing
        .into_iter()
        .map(|(name, mut dates)| {
            dates.sort();
            dates.dedup();
            format!(
                "{} failed in {} of {n} {}",
                super::signals::title(name),
                dates.len(),
                unit(freq, n)
            )
        })
        .collect();
    if v.level == Level::NoDrift {
        v.level = Level::Drift;
        v.headline = format!("{}; other signals failed", v.headline);
    }
    v.detail = join_sentences(
        sentences
            .into_iter()
            .chain((!v.detail.is_empty()).then(|| v.detail.trim_end_matches('.').to_string()))
            .collect(),
    );
    v
}

fn history_drift_verdict(results: &[&RunResult], freq: Option<Frequency>) -> Verdict {
    let results: Vec<&RunResult> = results.to_vec();
    let scored: Vec<&RunResult> = results
        .iter()
        .copied()
        .filter(|r| {
            r.run.status == RunStatus::Succeeded && r.coefficient().is_some_and(f64::is_finite)
        })
        .collect();
    let failed = results
        .iter()
        .filter(|r| r.run.status == RunStatus::Failed)
        .count();
    let no_data = results
        .iter()
        .filter(|r| r.run.status == RunStatus::NoData)
        .count();
    let mut not_scored = Vec::new();
    if failed > 0 {
        not_scored.push(format!(
            "{failed} run{} failed",
            if failed == 1 { "" } else { "s" }
        ));
    }
    if no_data > 0 {
        not_scored.push(format!("{no_data} found no data"));
    }
    let not_scored = not_scored.join(", ");

    if scored.is_empty() {
        return if results.is_empty() {
            Verdict {
                level: Level::Nothing,
                headline: "No runs in this period".into(),
                detail: String::new(),
            }
        } else {
            Verdict {
                level: if failed > 0 {
                    Level::Failed
                } else {
                    Level::Nothing
                },
                headline: "Nothing was scored in this period".into(),
                detail: format!("{not_scored}."),
            }
        };
    }

    let mut dates: Vec<NaiveDate> = scored.iter().map(|r| r.datetime).collect();
    dates.sort();
    dates.dedup();
    let mut drift_dates: Vec<NaiveDate> = scored
        .iter()
        .filter(|r| r.has_drift)
        .map(|r| r.datetime)
        .collect();
    drift_dates.sort();
    drift_dates.dedup();
    let worst = |rs: &mut dyn Iterator<Item = &&RunResult>| -> Option<RunResult> {
        rs.max_by(|a, b| {
            let (ca, cb) = (
                a.coefficient().unwrap_or(f64::NAN),
                b.coefficient().unwrap_or(f64::NAN),
            );
            ca.total_cmp(&cb).then_with(|| a.datetime.cmp(&b.datetime))
        })
        .map(|r| (*r).clone())
    };
    let describe = |r: &RunResult| {
        let c = r.coefficient().unwrap_or(f64::NAN);
        let op = if r.has_drift { ">" } else { "\u{2264}" };
        format!(
            "{} on {}: {} {op} {}",
            r.service_name,
            r.datetime,
            coef(c),
            coef(r.drift_threshold)
        )
    };
    let latest_date = dates[dates.len() - 1];
    let latest = worst(&mut scored.iter().filter(|r| r.datetime == latest_date));

    let mut detail = Vec::new();
    if let Some(l) = &latest {
        let state = match verdict::status(l) {
            verdict::Status::Drift => "drift",
            verdict::Status::FeaturesDrifted => "features drifted",
            verdict::Status::NoDrift => "no drift",
        };
        detail.push(format!("Latest: {} ({state})", describe(l)));
    }
    if !not_scored.is_empty() {
        detail.push(not_scored);
    }
    let n = dates.len();
    let mut feature_dates: Vec<NaiveDate> = scored
        .iter()
        .filter(|r| !r.has_drift && !r.drifted_features().is_empty())
        .map(|r| r.datetime)
        .collect();
    feature_dates.sort();
    feature_dates.dedup();
    if drift_dates.is_empty() && !feature_dates.is_empty() {
        return Verdict {
            level: Level::Drift,
            headline: format!(
                "Features drifted in {} of {n} {}, the coefficient stayed at or below the threshold",
                feature_dates.len(),
                unit(freq, n)
            ),
            detail: join_sentences(detail),
        };
    }
    if drift_dates.is_empty() {
        let top = worst(&mut scored.iter());
        Verdict {
            level: Level::NoDrift,
            headline: format!(
                "No drift in {n} {}{}",
                unit(freq, n),
                top.map(|r| format!(" \u{2014} highest: {}", describe(&r)))
                    .unwrap_or_default()
            ),
            detail: join_sentences(detail),
        }
    } else {
        let top = worst(&mut scored.iter().filter(|r| r.has_drift));
        Verdict {
            level: Level::Drift,
            headline: format!(
                "Drift detected in {} of {n} {}{}",
                drift_dates.len(),
                unit(freq, n),
                top.map(|r| format!(" \u{2014} {}", describe(&r)))
                    .unwrap_or_default()
            ),
            detail: join_sentences(detail),
        }
    }
}

fn join_sentences(parts: Vec<String>) -> String {
    if parts.is_empty() {
        String::new()
    } else {
        format!("{}.", parts.join(". "))
    }
}
