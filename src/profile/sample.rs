//! `RowSample`: a bounded, seeded sample of whole rows, kept in the profile so that the domain
//! classifier can run from a cached baseline profile without the baseline data.

use serde::{Deserialize, Serialize};

/// Code of a missing value in [`SampleColumn::Categorical`].
pub const MISSING_CODE: u32 = u32::MAX;

/// A bottom-k sample of rows: each row gets a pseudo-random priority from the seed and its
/// position, and the `capacity` rows with the smallest priorities are kept. Merging two samples
/// keeps the smallest priorities of both, so a merged sample is a uniform sample of the union.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RowSample {
    /// Most rows kept.
    pub capacity: usize,
    /// Priority of each kept row, ascending; rows of every column are in this order.
    pub priorities: Vec<u64>,
    /// Column names, in the order of `columns`.
    pub names: Vec<String>,
    /// The sampled values, one entry per column.
    pub columns: Vec<SampleColumn>,
}

/// Sampled values of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SampleColumn {
    /// Numbers; NaN stands for missing, invalid and non-finite values.
    Numeric(Vec<f64>),
    /// Categories as codes into `dictionary`; [`MISSING_CODE`] for missing.
    Categorical {
        /// One code per sampled row.
        codes: Vec<u32>,
        /// Category labels.
        dictionary: Vec<String>,
    },
}

impl RowSample {
    /// Number of sampled rows.
    pub fn len(&self) -> usize {
        self.priorities.len()
    }

    /// True when no row was sampled.
    pub fn is_empty(&self) -> bool {
        self.priorities.is_empty()
    }

    /// The sampled values of a column, by name.
    pub fn column(&self, name: &str) -> Option<&SampleColumn> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
    }
}

/// The splitmix64 finaliser: a fast bijective mixer whose output bits all depend on all input
/// bits, which is what a bottom-k priority needs (any correlation with row order would bias the
/// sample).
#[inline]
pub fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Priority of one row: a hash of the seed, the file's key, the chunk and the row in the chunk.
/// The position is fixed by the data (chunks are cut at fixed sizes), so the sample does not
/// depend on threads.
#[inline]
pub fn priority(seed: u64, file_key: u64, chunk: u64, row: u64) -> u64 {
    mix64(mix64(mix64(seed ^ file_key) ^ chunk) ^ row)
}

impl RowSample {
    /// An empty sample of the given columns; `categorical[i]` says which columns hold codes.
    pub fn empty(capacity: usize, names: Vec<String>, categorical: &[bool]) -> RowSample {
        RowSample {
            capacity,
            priorities: Vec::new(),
            columns: categorical
                .iter()
                .map(|&c| {
                    if c {
                        SampleColumn::Categorical {
                            codes: Vec::new(),
                            dictionary: Vec::new(),
                        }
                    } else {
                        SampleColumn::Numeric(Vec::new())
                    }
                })
                .collect(),
            names,
        }
    }

    /// Rows with a priority at or above this cannot enter the sample any more.
    pub fn threshold(&self) -> u64 {
        if self.len() >= self.capacity {
            self.priorities.last().copied().unwrap_or(0)
        } else {
            u64::MAX
        }
    }

    /// Keeps the `capacity` rows with the smallest priorities of both samples. Category codes
    /// are renumbered into one dictionary, sorted by label so that the result does not depend
    /// on the order in which chunks were seen. Fails when the columns differ.
    pub fn merge(&mut self, other: &RowSample) -> Result<(), String> {
        if other.columns.is_empty() && other.is_empty() {
            return Ok(());
        }
        if self.columns.is_empty() && self.is_empty() {
            let capacity = self.capacity;
            *self = other.clone();
            self.capacity = capacity.max(1);
            self.truncate_to_capacity();
            return Ok(());
        }
        if self.names != other.names || self.columns.len() != other.columns.len() {
            return Err(format!(
                "row samples hold different columns: {:?} and {:?}",
                self.names, other.names
            ));
        }
        // Which rows survive, in priority order: (from other?, index).
        let cap = self.capacity.max(1);
        let mut take: Vec<(bool, usize)> = Vec::with_capacity(cap.min(self.len() + other.len()));
        let (mut i, mut j) = (0, 0);
        while take.len() < cap && (i < self.len() || j < other.len()) {
            let mine = match (self.priorities.get(i), other.priorities.get(j)) {
                (Some(a), Some(b)) => a <= b,
                (Some(_), None) => true,
                _ => false,
            };
            if mine {
                take.push((false, i));
                i += 1;
            } else {
                take.push((true, j));
                j += 1;
            }
        }
        let priorities = take
            .iter()
            .map(|&(o, k)| {
                if o {
                    other.priorities[k]
                } else {
                    self.priorities[k]
                }
            })
            .collect();
        let mut columns = Vec::with_capacity(self.columns.len());
        for (c, (a, b)) in self.columns.iter().zip(&other.columns).enumerate() {
            columns.push(match (a, b) {
                (SampleColumn::Numeric(x), SampleColumn::Numeric(y)) => SampleColumn::Numeric(
                    take.iter()
                        .map(|&(o, k)| if o { y[k] } else { x[k] })
                        .collect(),
                ),
                (
                    SampleColumn::Categorical {
                        codes: ca,
                        dictionary: da,
                    },
                    SampleColumn::Categorical {
                        codes: cb,
                        dictionary: db,
                    },
                ) => {
                    let label = |o: bool, k: usize| -> Option<&str> {
                        let (codes, dict) = if o { (cb, db) } else { (ca, da) };
                        let code = codes[k];
                        (code != MISSING_CODE).then(|| dict[code as usize].as_str())
                    };
                    let mut labels: Vec<&str> =
                        take.iter().filter_map(|&(o, k)| label(o, k)).collect();
                    labels.sort_unstable();
                    labels.dedup();
                    let codes = take
                        .iter()
                        .map(|&(o, k)| match label(o, k) {
                            None => MISSING_CODE,
                            Some(l) => labels
                                .binary_search(&l)
                                .map(|p| p as u32)
                                .unwrap_or(MISSING_CODE),
                        })
                        .collect();
                    SampleColumn::Categorical {
                        codes,
                        dictionary: labels.into_iter().map(str::to_string).collect(),
                    }
                }
                _ => {
                    return Err(format!(
                        "column `{}` is numeric in one row sample and categorical in the other",
                        self.names.get(c).map(String::as_str).unwrap_or("?")
                    ));
                }
            });
        }
        self.priorities = priorities;
        self.columns = columns;
        Ok(())
    }

    fn truncate_to_capacity(&mut self) {
        if self.len() <= self.capacity {
            return;
        }
        let n = self.capacity;
        self.priorities.truncate(n);
        for c in &mut self.columns {
            match c {
                SampleColumn::Numeric(v) => v.truncate(n),
                SampleColumn::Categorical { codes, .. } => codes.truncate(n),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(capacity: usize, rows: &[(u64, f64)]) -> RowSample {
        RowSample {
            capacity,
            priorities: rows.iter().map(|r| r.0).collect(),
            names: vec!["x".into()],
            columns: vec![SampleColumn::Numeric(rows.iter().map(|r| r.1).collect())],
        }
    }

    #[test]
    fn merge_keeps_smallest_priorities() {
        let mut a = numeric(3, &[(1, 10.0), (5, 50.0), (9, 90.0)]);
        let b = numeric(3, &[(2, 20.0), (6, 60.0)]);
        a.merge(&b).unwrap();
        assert_eq!(a.priorities, vec![1, 2, 5]);
        assert_eq!(a.columns[0], SampleColumn::Numeric(vec![10.0, 20.0, 50.0]));
        assert_eq!(a.threshold(), 5);
    }

    #[test]
    fn merge_renumbers_categories_by_label() {
        let mut a = RowSample {
            capacity: 10,
            priorities: vec![1, 3],
            names: vec!["c".into()],
            columns: vec![SampleColumn::Categorical {
                codes: vec![0, MISSING_CODE],
                dictionary: vec!["zeta".into()],
            }],
        };
        let b = RowSample {
            capacity: 10,
            priorities: vec![2],
            names: vec!["c".into()],
            columns: vec![SampleColumn::Categorical {
                codes: vec![0],
                dictionary: vec!["alpha".into()],
            }],
        };
        a.merge(&b).unwrap();
        assert_eq!(
            a.columns[0],
            SampleColumn::Categorical {
                codes: vec![1, 0, MISSING_CODE],
                dictionary: vec!["alpha".into(), "zeta".into()],
            }
        );
    }

    #[test]
    fn priorities_differ_by_every_part() {
        let p = priority(1, 2, 3, 4);
        assert_ne!(p, priority(0, 2, 3, 4));
        assert_ne!(p, priority(1, 0, 3, 4));
        assert_ne!(p, priority(1, 2, 0, 4));
        assert_ne!(p, priority(1, 2, 3, 0));
    }
}
