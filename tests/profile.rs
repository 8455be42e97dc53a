//! Profiles are the same bytes however the data was split: property tests over random splits,
//! orders and groupings (duplicates, missing values, NaN and infinities, huge and tiny
//! magnitudes, text past the category cap), merges that are commutative and associative, a chunk
//! driver fed like a Spark job, and the huge-value regression through the whole scan.

use std::path::Path;
use std::process::Command;

use arrow::array::{Float64Array, StringArray};
use proptest::prelude::*;
use rayon::prelude::*;

use driftscan::data::{
    Chunk, ChunkColumn, ColumnKind, DatasetInfo, DatasetSchema, Input, SchemaColumn,
};
use driftscan::profile::sample::SampleColumn;
use driftscan::profile::{self, Profile, ProfileError, ProfileOptions};

/// One row: a number of any magnitude (or missing), a small integer (duplicates), a label.
#[derive(Debug, Clone)]
struct Row {
    x: Option<f64>,
    n: Option<f64>,
    c: Option<String>,
}

fn number() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        4 => (-1e3f64..1e3).prop_map(Some),
        1 => Just(None),
        1 => prop::sample::select(vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            -f64::MAX,
            1.7976931348623157e308,
            1e300,
            -3.5e154,
            5e-324,
            -2.2250738585072014e-308,
            1e-300,
            0.0,
            -0.0,
            1e15 + 0.5,
        ])
        .prop_map(Some),
    ]
}

fn row() -> impl Strategy<Value = Row> {
    (
        number(),
        prop_oneof![4 => (0u8..4).prop_map(|v| Some(v as f64)), 1 => Just(None)],
        prop_oneof![5 => (0u8..24).prop_map(|i| Some(format!("k{i}"))), 1 => Just(None)],
    )
        .prop_map(|(x, n, c)| Row { x, n, c })
}

/// Options small enough that every budget is reached: the row sample (with duplicates at its
/// boundary), the sketch's bucket budget and the category cap.
fn options() -> ProfileOptions {
    ProfileOptions {
        sample_capacity: 12,
        max_buckets: 8,
        category_cap: 5,
        pinned_kinds: vec![
            ("x".into(), ColumnKind::Numeric),
            ("n".into(), ColumnKind::Numeric),
            ("c".into(), ColumnKind::Text),
        ],
        // A reference's ranges: the values outside them are counted exactly, and must merge
        // exactly too (the data-quality signal's out_of_bounds_rate).
        reference_bounds: vec![("x".into(), -250.0, 500.0), ("n".into(), 1.0, 2.0)],
        ..ProfileOptions::default()
    }
}

fn csv(rows: &[Row]) -> String {
    let mut s = String::from("x,n,c\n");
    let num = |v: Option<f64>| v.map(|v| format!("{v:?}")).unwrap_or_default();
    for r in rows {
        s.push_str(&format!(
            "{},{},{}\n",
            num(r.x),
            num(r.n),
            r.c.clone().unwrap_or_default()
        ));
    }
    s
}

fn from_csv(name: &str, rows: &[Row]) -> Profile {
    let input = Input::Memory {
        name: name.into(),
        bytes: bytes::Bytes::from(csv(rows)),
    };
    profile::build(&[input], &options()).expect("profile")
}

/// The profile of `rows` fed as Arrow chunks of `chunk` rows by a driver that profiles them on
/// the thread pool and merges them as they finish, the way a record-batch source or a Spark
/// partition feeds the engine.
fn from_batches(rows: &[Row], chunk: usize) -> Profile {
    let chunks: Vec<Chunk> = rows
        .chunks(chunk.max(1))
        .map(|part| Chunk {
            file: 0,
            file_key: 0,
            index: 0,
            rows: part.len(),
            columns: vec![
                ChunkColumn::Numeric {
                    values: Float64Array::from(part.iter().map(|r| r.x).collect::<Vec<_>>()),
                    invalid: 0,
                },
                ChunkColumn::Numeric {
                    values: Float64Array::from(part.iter().map(|r| r.n).collect::<Vec<_>>()),
                    invalid: 0,
                },
                ChunkColumn::Text(StringArray::from(
                    part.iter().map(|r| r.c.clone()).collect::<Vec<_>>(),
                )),
            ],
            names: ["x", "n", "c"].map(String::from).to_vec().into(),
        })
        .collect();
    let schema = DatasetSchema {
        columns: [
            ("x", ColumnKind::Numeric),
            ("n", ColumnKind::Numeric),
            ("c", ColumnKind::Text),
        ]
        .into_iter()
        .map(|(name, kind)| SchemaColumn {
            name: name.into(),
            kind,
        })
        .collect(),
        excluded: Vec::new(),
    };
    profile::build_from(&options(), |process, merge| {
        let done = std::sync::Mutex::new(Vec::new());
        chunks.par_iter().for_each(|c| {
            let p = process(c);
            done.lock().expect("lock").push(p);
        });
        for p in done.into_inner().expect("lock") {
            merge(p);
        }
        Ok(DatasetInfo {
            schema,
            ..DatasetInfo::default()
        })
    })
    .expect("profile from batches")
}

/// A seeded shuffle (Fisher-Yates on a splitmix stream), so that a failing case replays.
fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut rng = driftscan::base::rng::SplitMix64::new(seed);
    let mut v = items.to_vec();
    rng.shuffle(&mut v);
    v
}

/// Cuts `rows` at the given fractions into non-empty parts.
fn split(rows: &[Row], cuts: &[usize]) -> Vec<Vec<Row>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| 1 + c % rows.len().max(1)).collect();
    points.push(rows.len());
    points.sort_unstable();
    points.dedup();
    let mut parts = Vec::new();
    let mut start = 0;
    for p in points {
        if p > start && p <= rows.len() {
            parts.push(rows[start..p].to_vec());
            start = p;
        }
    }
    parts
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// profile(a ++ b ++ ...) == merge(profile(a), profile(b), ...) byte for byte (statistics),
    /// for random rows, splits, orders of the rows, orders and groupings of the merges.
    #[test]
    fn merged_parts_equal_the_whole_in_any_order(
        rows in prop::collection::vec(row(), 1..160),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
        seed in any::<u64>(),
    ) {
        let whole = from_csv("whole.csv", &rows);
        let expected = whole.statistics_bytes();
        // The same rows in another order, in one file.
        let reordered = from_csv("reordered.csv", &shuffled(&rows, seed));
        prop_assert_eq!(&reordered.statistics_bytes(), &expected);
        // Parts profiled alone, merged one by one in a shuffled order.
        let parts: Vec<Profile> = split(&rows, &cuts)
            .iter()
            .enumerate()
            .map(|(i, p)| from_csv(&format!("part{i}.csv"), p))
            .collect();
        let order = shuffled(&parts, seed ^ 1);
        let mut one_by_one = order[0].clone();
        for p in &order[1..] {
            one_by_one.merge(p).expect("merge");
        }
        prop_assert_eq!(&one_by_one.statistics_bytes(), &expected);
        // A tree: pairs first, then all at once; and every part at once.
        let pairs: Vec<Profile> = order
            .chunks(2)
            .map(|c| Profile::merge_all(c.to_vec()).expect("pair"))
            .collect();
        let tree = Profile::merge_all(pairs).expect("tree");
        prop_assert_eq!(&tree.statistics_bytes(), &expected);
        // The whole provenance-included encoding is the same for any merge order too.
        prop_assert_eq!(tree.to_bytes(), one_by_one.to_bytes());
        let flat = Profile::merge_all(parts).expect("flat");
        prop_assert_eq!(flat.to_bytes(), tree.to_bytes());
        // Arrow chunks of any size, profiled on the pool and merged as they finish.
        let batches = from_batches(&shuffled(&rows, seed ^ 2), 1 + (seed % 7) as usize);
        prop_assert_eq!(&batches.statistics_bytes(), &expected);
        // And the numbers agree with the whole: exact counts, finite moments.
        let x = whole.numeric("x").expect("x");
        let finite: Vec<f64> = rows.iter().filter_map(|r| r.x).filter(|v| v.is_finite()).collect();
        prop_assert_eq!(x.count, finite.len() as u64);
        let outside = x.outside.expect("counted against the range");
        let below = finite.iter().filter(|&&v| v < -250.0).count() as u64;
        let above = finite.iter().filter(|&&v| v > 500.0).count() as u64;
        prop_assert_eq!((outside.below, outside.above), (below, above));
        if !finite.is_empty() {
            prop_assert!(x.std_population().is_finite());
            prop_assert!(x.mean().is_finite());
        }
        prop_assert_eq!(whole.distinct_sample.occurrences() <= rows.len() as u64, true);
    }
}

#[test]
fn a_spark_like_job_in_1_4_and_16_shuffled_partitions_equals_one_file() {
    // 20,000 rows with duplicates, missing values and huge values; default budgets, so the row
    // sample holds a mix of distinct rows and repeated ones.
    let rows: Vec<Row> = (0..20_000u64)
        .map(|i| {
            let h = driftscan::base::hash::mix64(i);
            Row {
                x: match h % 50 {
                    0 => None,
                    1 => Some(1.7976931348623157e308),
                    _ => Some(((h >> 8) % 10_000) as f64 * 0.01 - 50.0),
                },
                n: Some((h >> 20) as f64 % 5.0),
                c: (!h.is_multiple_of(9)).then(|| format!("label{}", (h >> 30) % 15_000)),
            }
        })
        .collect();
    let defaults = ProfileOptions {
        pinned_kinds: options().pinned_kinds,
        ..ProfileOptions::default()
    };
    let one_file = profile::build(
        &[Input::Memory {
            name: "all.csv".into(),
            bytes: bytes::Bytes::from(csv(&rows)),
        }],
        &defaults,
    )
    .expect("one file");
    for partitions in [1usize, 4, 16] {
        let rows = shuffled(&rows, partitions as u64);
        let size = rows.len().div_ceil(partitions);
        let parts: Vec<Profile> = rows
            .chunks(size)
            .map(|part| {
                let input = Input::Memory {
                    name: "part.csv".into(),
                    bytes: bytes::Bytes::from(csv(part)),
                };
                profile::build(&[input], &defaults).expect("partition")
            })
            .collect();
        let merged = Profile::merge_all(shuffled(&parts, 7)).expect("merge");
        assert_eq!(
            merged.statistics_digest(),
            one_file.statistics_digest(),
            "{partitions} partitions"
        );
    }
    let x = one_file.numeric("x").expect("x");
    assert!(x.std_population().is_finite() && x.std_population() > 1e306);
    // Past the 10,000-category cap the kept labels are the smallest hashes, counted exactly.
    let c = one_file.text("c").expect("c");
    assert!(c.overflowed && c.counts.len() == 10_000);
    let exact = |label: &str| {
        rows.iter()
            .filter(|r| r.c.as_deref() == Some(label))
            .count()
    };
    for (label, count) in c.counts.iter().take(50) {
        assert_eq!(*count as usize, exact(label), "{label}");
    }
}

#[test]
fn identical_rows_share_a_priority_and_are_counted() {
    // 3 x 4 combinations, 1,200 rows: the sample keeps every combination once with its count,
    // and the rows the classifier reads follow the counts.
    let rows: Vec<Row> = (0..1_200usize)
        .map(|i| Row {
            x: Some((i % 3) as f64),
            n: Some(if i % 10 == 0 { 3.0 } else { (i % 3) as f64 }),
            c: Some(["a", "b"][i % 2].to_string()),
        })
        .collect();
    let p = from_csv("dups.csv", &rows);
    let s = &p.distinct_sample;
    let total: u64 = s.counts.iter().sum();
    assert_eq!(total, 1_200);
    assert!(s.len() <= 12 && s.len() >= 6, "{} distinct rows", s.len());
    // Every kept row's count is its number of occurrences.
    let SampleColumn::Numeric(xs) = &s.columns[0] else {
        panic!("x is numeric")
    };
    let SampleColumn::Numeric(ns) = &s.columns[1] else {
        panic!("n is numeric")
    };
    for i in 0..s.len() {
        let label = match &s.columns[2] {
            SampleColumn::Categorical { codes, dictionary } => {
                dictionary[codes[i] as usize].clone()
            }
            SampleColumn::Numeric(_) => panic!("c is text"),
        };
        let occurrences = rows
            .iter()
            .filter(|r| r.x == Some(xs[i]) && r.n == Some(ns[i]) && r.c.as_deref() == Some(&label))
            .count();
        assert_eq!(s.counts[i] as usize, occurrences);
    }
    // The classifier's rows: capacity 12, drawn in proportion to the counts.
    assert_eq!(p.sample.len(), 12);
    // With the default capacity, every occurrence is there.
    let all = profile::build(
        &[Input::Memory {
            name: "dups.csv".into(),
            bytes: bytes::Bytes::from(csv(&rows)),
        }],
        &ProfileOptions::default(),
    )
    .expect("profile");
    assert_eq!(all.sample.len(), 1_200);
    assert_eq!(all.distinct_sample.occurrences(), 1_200);
}

#[test]
fn merging_parts_that_disagree_on_a_kind_names_the_column() {
    let numeric = from_csv(
        "a.csv",
        &[Row {
            x: Some(1.0),
            n: Some(1.0),
            c: Some("k".into()),
        }],
    );
    let input = Input::Memory {
        name: "b.csv".into(),
        bytes: bytes::Bytes::from("x,n,c\n1,1,2\n"),
    };
    let typed = profile::build(
        &[input],
        &ProfileOptions {
            pinned_kinds: vec![("c".into(), ColumnKind::Numeric)],
            ..options()
        },
    )
    .expect("profile");
    let e = numeric.clone().merge(&typed).unwrap_err();
    assert!(matches!(e, ProfileError::Incompatible(_)));
    assert!(
        e.to_string()
            .contains("column `c` is text in `a.csv` and numeric in `b.csv`"),
        "{e}"
    );
}

#[test]
fn a_driver_with_no_rows_gives_the_neutral_element_of_merge() {
    let schema = DatasetSchema {
        columns: vec![
            SchemaColumn {
                name: "x".into(),
                kind: ColumnKind::Numeric,
            },
            SchemaColumn {
                name: "n".into(),
                kind: ColumnKind::Numeric,
            },
            SchemaColumn {
                name: "c".into(),
                kind: ColumnKind::Text,
            },
        ],
        excluded: Vec::new(),
    };
    let empty = profile::build_from(&options(), |_, _| {
        Ok(DatasetInfo {
            schema,
            ..DatasetInfo::default()
        })
    })
    .expect("empty partition");
    assert_eq!(empty.rows, 0);
    let rows = vec![
        Row {
            x: Some(2.5),
            n: None,
            c: Some("z".into()),
        },
        Row {
            x: None,
            n: Some(1.0),
            c: None,
        },
    ];
    let p = from_csv("p.csv", &rows);
    let mut merged = p.clone();
    merged.merge(&empty).expect("merge");
    assert_eq!(merged.statistics_bytes(), p.statistics_bytes());
    let mut other_way = empty;
    other_way.merge(&p).expect("merge");
    assert_eq!(other_way.statistics_bytes(), p.statistics_bytes());
}

/// Issue 12, item 11: one finite value above about 1.4e154 (a sentinel such as
/// `1.7976931348623157e308`) made the standard deviation infinite and failed the whole scan.
#[test]
fn regression_issue_12_item_11_huge_finite_values_do_not_fail_the_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, sentinel: bool| {
        let mut s = String::from("x,y\n");
        for i in 0..400 {
            let x = if sentinel && i == 17 {
                "1.7976931348623157e308".to_string()
            } else {
                format!("{}", (i % 37) as f64 * 0.5)
            };
            s.push_str(&format!("{x},{}\n", i % 11));
        }
        let path = dir.path().join(name);
        std::fs::write(&path, s).expect("write");
        path
    };
    for (baseline, target) in [(false, true), (true, false), (true, true)] {
        let b = write("train.csv", baseline);
        let t = write("today.csv", target);
        let out = Command::new(env!("CARGO_BIN_EXE_driftscan"))
            .args(["scan", "--baseline"])
            .arg(&b)
            .arg("--target")
            .arg(&t)
            .arg("--json")
            .current_dir(dir.path())
            .output()
            .expect("driftscan runs");
        assert!(
            out.status.success(),
            "baseline sentinel {baseline}, target sentinel {target}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let result: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert!(result["column_metrics"].is_array());
    }
    // The profile itself: a finite standard deviation of the right size.
    let p = profile::build(
        &driftscan::data::resolve(path_str(&write("t.csv", true))).expect("resolve"),
        &ProfileOptions::default(),
    )
    .expect("profile");
    let x = p.numeric("x").expect("x");
    let std = x.std_population();
    assert!(std.is_finite(), "{std}");
    // One value v among n: population std = v·sqrt(n−1)/n to within the other values' share.
    let expected = 1.7976931348623157e308 / 400.0 * (399f64).sqrt();
    assert!((std / expected - 1.0).abs() < 1e-12, "{std} vs {expected}");
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
