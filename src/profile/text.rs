//! Profile of one text column: exact category counts up to a cap.
//!
//! Up to `cap` distinct categories (default [`DEFAULT_CATEGORY_CAP`]) every count is exact, and
//! profiling two halves and merging gives the same counts as profiling the whole. Past the cap
//! the column is marked `overflowed` and keeps the `cap` categories whose labels have the
//! smallest hashes (bottom-k by [`label_hash`], ties by label); the rows of the others are counted
//! in `other`. Which categories are kept then depends on the labels alone, never on the order in
//! which rows, chunks or partitions arrived, and a kept category's count is exact: a label among
//! the `cap` smallest hashes of the whole data is among the smallest of every part, so no part
//! ever dropped any of its rows. The kept set is a uniform random sample of the categories, and
//! two datasets profiled with the same cap keep the same labels wherever both have them, so their
//! kept categories plus "other" compare like with like. Such a column has far too many categories
//! to be compared as categorical unless the user names it.

use std::collections::{BTreeMap, HashMap};

use arrow::array::{Array, StringArray};

use super::numeric::ratio;

/// Default number of distinct categories counted exactly.
pub const DEFAULT_CATEGORY_CAP: usize = 10_000;

/// Hashes kept by the distinct-count sketch.
pub const KMV_SIZE: usize = 1024;

/// A well-mixed 64-bit hash of a label: the key of the kept categories past the cap and of the
/// distinct-count sketch.
pub fn label_hash(label: &str) -> u64 {
    crate::base::hash::hash_bytes(label.as_bytes())
}

/// Keeps the [`KMV_SIZE`] smallest distinct hashes of both ascending lists.
fn kmv_union(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity((a.len() + b.len()).min(KMV_SIZE));
    let (mut i, mut j) = (0, 0);
    while out.len() < KMV_SIZE && (i < a.len() || j < b.len()) {
        let next = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x == y => {
                i += 1;
                j += 1;
                x
            }
            (Some(&x), Some(&y)) if x < y => {
                i += 1;
                x
            }
            (Some(_), Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, Some(&y)) => {
                j += 1;
                y
            }
            (None, None) => break,
        };
        out.push(next);
    }
    out
}

/// Category counts of a text column.
#[derive(Debug, Clone, PartialEq)]
pub struct TextProfile {
    /// Rows seen.
    pub rows: u64,
    /// Empty or null values.
    pub missing: u64,
    /// Rows per category (missing values excluded).
    pub counts: BTreeMap<String, u64>,
    /// Rows whose category is not kept (past the cap).
    pub other: u64,
    /// True once more than `cap` distinct categories were seen.
    pub overflowed: bool,
    /// Most categories kept.
    pub cap: usize,
    /// The smallest hashes of the distinct labels, ascending (see the module docs).
    pub kmv: Vec<u64>,
}

impl TextProfile {
    /// An empty profile that counts at most `cap` categories exactly.
    pub fn new(cap: usize) -> Self {
        TextProfile {
            rows: 0,
            missing: 0,
            counts: BTreeMap::new(),
            other: 0,
            overflowed: false,
            cap: cap.max(1),
            kmv: Vec::new(),
        }
    }

    /// Adds one chunk of values.
    pub fn add(&mut self, values: &StringArray) {
        self.rows += values.len() as u64;
        self.missing += values.null_count() as u64;
        let mut local: HashMap<&str, u64> = HashMap::new();
        for v in values.iter().flatten() {
            *local.entry(v).or_insert(0) += 1;
        }
        let mut hashes: Vec<(u64, &str, u64)> = local
            .into_iter()
            .map(|(k, c)| (label_hash(k), k, c))
            .collect();
        hashes.sort_unstable();
        let smallest: Vec<u64> = hashes.iter().take(KMV_SIZE).map(|h| h.0).collect();
        self.kmv = kmv_union(&self.kmv, &smallest);
        let bound = self.kept_bound();
        for (h, k, c) in hashes {
            if bound.as_ref().is_some_and(|b| (h, k) > (b.0, b.1.as_str())) {
                // Past the cap, a label above the largest kept one can never be kept.
                self.other += c;
                continue;
            }
            match self.counts.get_mut(k) {
                Some(n) => *n += c,
                None => {
                    self.counts.insert(k.to_string(), c);
                }
            }
        }
        self.enforce_cap();
    }

    /// Adds everything `other` summarises. Profiles with different caps merge to the smaller.
    pub fn merge(&mut self, other: &TextProfile) {
        self.rows += other.rows;
        self.missing += other.missing;
        self.other += other.other;
        self.overflowed |= other.overflowed;
        self.cap = self.cap.min(other.cap);
        for (k, c) in &other.counts {
            *self.counts.entry(k.clone()).or_insert(0) += c;
        }
        self.kmv = kmv_union(&self.kmv, &other.kmv);
        self.enforce_cap();
    }

    /// Once overflowed, the largest kept `(hash, label)`: nothing above it can be kept.
    fn kept_bound(&self) -> Option<(u64, String)> {
        if !self.overflowed {
            return None;
        }
        self.counts
            .keys()
            .map(|k| (label_hash(k), k))
            .max()
            .map(|(h, k)| (h, k.clone()))
    }

    /// Keeps the `cap` categories with the smallest `(hash, label)`, counting the rest in `other`.
    fn enforce_cap(&mut self) {
        if self.counts.len() <= self.cap {
            return;
        }
        let mut all: Vec<(u64, String, u64)> = std::mem::take(&mut self.counts)
            .into_iter()
            .map(|(k, c)| (label_hash(&k), k, c))
            .collect();
        all.select_nth_unstable(self.cap);
        self.other += all[self.cap..].iter().map(|e| e.2).sum::<u64>();
        all.truncate(self.cap);
        self.counts = all.into_iter().map(|(_, k, c)| (k, c)).collect();
        self.overflowed = true;
    }

    /// Categories by count, largest first, then by label.
    pub fn categories(&self) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.counts.iter().map(|(k, c)| (k.as_str(), *c)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        v
    }

    /// Distinct non-missing categories (a lower bound when `overflowed`).
    pub fn distinct(&self) -> usize {
        self.counts.len()
    }

    /// Distinct non-missing categories: exact while not `overflowed`, else estimated from the
    /// K-minimum-values sketch as `(K - 1) / (K-th smallest hash / 2^64)`, rounded.
    pub fn distinct_estimate(&self) -> f64 {
        if !self.overflowed || self.kmv.len() < KMV_SIZE {
            return self.counts.len().max(self.kmv.len()) as f64;
        }
        let kth = self.kmv[KMV_SIZE - 1] as f64 / 2f64.powi(64);
        ((KMV_SIZE - 1) as f64 / kth)
            .round()
            .max(self.counts.len() as f64)
    }

    /// Rows with a value.
    pub fn present(&self) -> u64 {
        self.rows - self.missing
    }

    /// Empty or null values over rows (0 without rows).
    pub fn missing_rate(&self) -> f64 {
        ratio(self.missing, self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_merge_are_exact_below_cap() {
        let a = StringArray::from(vec![Some("a"), Some("b"), None, Some("a")]);
        let b = StringArray::from(vec![Some("c"), Some("a")]);
        let mut x = TextProfile::new(10);
        x.add(&a);
        let mut y = TextProfile::new(10);
        y.add(&b);
        x.merge(&y);
        assert_eq!((x.rows, x.missing), (6, 1));
        assert_eq!(x.categories(), vec![("a", 3), ("b", 1), ("c", 1)]);
        assert!(!x.overflowed);
    }

    #[test]
    fn distinct_estimate_is_close_past_the_cap_and_merges_exactly() {
        let labels: Vec<String> = (0..50_000).map(|i| format!("id-{i}")).collect();
        let mut whole = TextProfile::new(100);
        whole.add(&StringArray::from(
            labels.iter().map(String::as_str).collect::<Vec<_>>(),
        ));
        let mut a = TextProfile::new(100);
        a.add(&StringArray::from(
            labels[..20_000]
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        ));
        let mut b = TextProfile::new(100);
        b.add(&StringArray::from(
            labels[15_000..]
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        ));
        a.merge(&b);
        assert_eq!(a.kmv, whole.kmv);
        let est = whole.distinct_estimate();
        assert!((est - 50_000.0).abs() / 50_000.0 < 0.1, "{est}");
        let mut few = TextProfile::new(100);
        few.add(&StringArray::from(vec!["a", "b", "a"]));
        assert_eq!(few.distinct_estimate(), 2.0);
    }

    #[test]
    fn cap_keeps_the_smallest_label_hashes_with_exact_counts_in_any_order() {
        let labels: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
        // Label i occurs i + 1 times.
        let rows: Vec<&str> = labels
            .iter()
            .enumerate()
            .flat_map(|(i, l)| std::iter::repeat_n(l.as_str(), i + 1))
            .collect();
        let mut whole = TextProfile::new(8);
        whole.add(&StringArray::from(rows.clone()));
        let mut by_hash: Vec<(u64, &String)> = labels.iter().map(|l| (label_hash(l), l)).collect();
        by_hash.sort();
        let expected: Vec<&str> = by_hash[..8].iter().map(|p| p.1.as_str()).collect();
        let mut kept: Vec<&str> = whole.counts.keys().map(String::as_str).collect();
        kept.sort_by_key(|k| label_hash(k));
        assert_eq!(kept, expected);
        for (k, c) in &whole.counts {
            let i: usize = k[1..].parse().unwrap();
            assert_eq!(*c, i as u64 + 1, "{k}");
        }
        assert!(whole.overflowed);
        assert_eq!(
            whole.other + whole.counts.values().sum::<u64>(),
            rows.len() as u64
        );
        // Reversed and in uneven parts, merged in another order: the same profile.
        let mut reversed = rows.clone();
        reversed.reverse();
        let mut parts: Vec<TextProfile> = reversed
            .chunks(97)
            .map(|c| {
                let mut p = TextProfile::new(8);
                p.add(&StringArray::from(c.to_vec()));
                p
            })
            .collect();
        parts.rotate_left(3);
        let mut merged = TextProfile::new(8);
        for p in &parts {
            merged.merge(p);
        }
        assert_eq!(merged, whole);
    }
}
