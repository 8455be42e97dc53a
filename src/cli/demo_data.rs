//! Seeded demo data: a credit-scoring model's training set and a week of daily production snapshots,
//! with drift that starts mid-week. Used by `driftscan demo`, the README's example output and the
//! report screenshots.
//!
//! The drift is deliberately of the kinds users meet: incomes inflate (a mean shift), utilisation
//! rises, a new region appears (unseen category), a form change leaves `months_since_delinquency`
//! empty far more often (a missing-rate jump), and the link between income and credit limit weakens
//! while both marginals barely move (only the domain classifier sees that one).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, LogNormal, Normal, Poisson};

/// Column names of the demo data, in file order.
pub const COLUMNS: [&str; 12] = [
    "age",
    "income",
    "credit_limit",
    "utilization",
    "balance",
    "num_accounts",
    "late_payments_12m",
    "months_since_delinquency",
    "tenure_months",
    "region",
    "device",
    "score",
];

/// How far one day has drifted from the training data (0 = not at all, 1 = fully).
fn drift_of_day(day: usize) -> f64 {
    match day {
        0..=2 => 0.0,
        3 => 0.35,
        4 => 0.7,
        _ => 1.0,
    }
}

/// Writes `rows` CSV rows drawn with the given drift strength.
fn write_rows(out: &mut String, rng: &mut StdRng, rows: usize, drift: f64) {
    let age_dist = Normal::new(41.0, 12.0).expect("valid normal");
    let income_dist = LogNormal::new(10.8 + 0.15 * drift, 0.45).expect("valid lognormal");
    let util_dist = Beta::new(2.0 + 1.2 * drift, 5.0).expect("valid beta");
    let accounts = Poisson::new(3.0).expect("valid poisson");
    let late = Poisson::new(0.4 + 0.2 * drift).expect("valid poisson");
    let noise = Normal::new(0.0, 1.0).expect("valid normal");
    let regions: [(&str, f64); 6] = [
        ("north", 0.28),
        ("south", 0.24 - 0.06 * drift),
        ("east", 0.2),
        ("west", 0.18),
        ("central", 0.1 - 0.02 * drift),
        ("islands", 0.08 * drift),
    ];
    let devices: [(&str, f64); 3] = [
        ("android", 0.46),
        ("ios", 0.38 - 0.1 * drift),
        ("web", 0.16 + 0.1 * drift),
    ];
    for _ in 0..rows {
        let age: f64 = age_dist.sample(rng);
        let age = age.clamp(18.0, 90.0).round();
        let income: f64 = income_dist.sample(rng);
        // The income -> limit link weakens under drift: limits follow income less, noise more.
        let link = 1.0 - 0.6 * drift;
        let limit_noise: f64 = noise.sample(rng);
        let credit_limit = (income * (0.1 + 0.2 * link) * (1.0 + 0.25 * limit_noise).max(0.2)
            + (1.0 - link) * 12_000.0 * (1.0 + 0.25 * noise.sample(rng)).max(0.1))
        .round();
        let utilization: f64 = util_dist.sample(rng);
        let balance = (credit_limit * utilization).round();
        let num_accounts = accounts.sample(rng) + 1.0;
        let late_payments = late.sample(rng);
        let missing_share = 0.15 + 0.45 * drift;
        let months_since = if rng.random::<f64>() < missing_share {
            None
        } else {
            Some((rng.random::<f64>() * 84.0).floor())
        };
        let tenure = (rng.random::<f64>() * 120.0).floor();
        let region = pick(rng, &regions);
        let device = pick(rng, &devices);
        let score = 600.0 + 0.4 * (age - 41.0) - 40.0 * utilization - 15.0 * late_payments
            + 12.0 * noise.sample(rng);
        let _ = write!(
            out,
            "{age},{income:.2},{credit_limit},{utilization:.4},{balance},{num_accounts},{late_payments},"
        );
        if let Some(m) = months_since {
            let _ = write!(out, "{m}");
        }
        let _ = writeln!(out, ",{tenure},{region},{device},{score:.1}");
    }
}

fn pick<'a>(rng: &mut StdRng, weighted: &[(&'a str, f64)]) -> &'a str {
    let total: f64 = weighted.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for (name, w) in weighted {
        if x < *w {
            return name;
        }
        x -= w;
    }
    weighted[weighted.len() - 1].0
}

fn csv_header() -> String {
    let mut s = COLUMNS.join(",");
    s.push('\n');
    s
}

/// Writes the demo's training set: `rows` rows, no drift.
pub fn write_baseline(path: &Path, rows: usize, seed: u64) -> std::io::Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = csv_header();
    write_rows(&mut out, &mut rng, rows, 0.0);
    write_file(path, out.as_bytes())
}

/// Writes one day's snapshot (`day` 0 to 6) in the legacy Azure ML collector CSV layout: the
/// features followed by the `$aml_*` bookkeeping columns, which driftscan ignores.
pub fn write_snapshot(path: &Path, day: usize, rows: usize, seed: u64) -> std::io::Result<()> {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(1 + day as u64));
    let mut body = String::new();
    write_rows(&mut body, &mut rng, rows, drift_of_day(day));
    let mut out = String::with_capacity(body.len() + rows * 120);
    out.push_str(COLUMNS.join(",").as_str());
    out.push_str(",$aml_dc_correlation_id,$aml_dc_scoring_timestamp,$aml_dc_boundary,$aml_workspace,$aml_service_name,$aml_model_name,$aml_model_version,$aml_request_id\n");
    for (i, line) in body.lines().enumerate() {
        let _ = writeln!(
            out,
            "{line},{:08x}-0000-4000-8000-{:012x},2026-11-{:02}T{:02}:{:02}:00.000000,1440,demo/rg/ws,credit-svc,credit-risk,3,00000000-0000-0000-0000-000000000000",
            rng.random::<u32>(),
            i,
            17 + day,
            (i / 60) % 24,
            i % 60
        );
    }
    write_file(path, out.as_bytes())
}

fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_data_is_deterministic_and_well_formed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let a = dir.path().join("a.csv");
        let b = dir.path().join("b.csv");
        write_baseline(&a, 500, 7).expect("write");
        write_baseline(&b, 500, 7).expect("write");
        let (ta, tb) = (
            std::fs::read(&a).expect("read"),
            std::fs::read(&b).expect("read"),
        );
        assert_eq!(ta, tb);
        let text = String::from_utf8(ta).expect("utf8");
        assert_eq!(text.lines().count(), 501);
        assert!(text.lines().all(|l| l.split(',').count() == COLUMNS.len()));
        let snap = dir.path().join("s.csv");
        write_snapshot(&snap, 6, 300, 7).expect("write");
        let text = std::fs::read_to_string(&snap).expect("read");
        assert!(
            text.lines()
                .all(|l| l.split(',').count() == COLUMNS.len() + 8)
        );
        assert!(text.contains("islands"), "drifted day has the new region");
    }
}
