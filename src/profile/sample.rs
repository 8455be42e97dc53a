//! `RowSample`: a bounded, seeded sample of whole rows, kept in the profile so that the domain
//! classifier can run from a cached baseline profile without the baseline data.

use crate::base::hash::mix64;
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
        self.merge_all(std::slice::from_ref(other))
    }

    /// [`RowSample::merge`] with many samples at once: one selection and one copy of the kept
    /// rows, however many samples there are. Equal priorities keep `self`'s row first, then the
    /// others' in the order given, as merging them one by one would.
    pub fn merge_all(&mut self, others: &[RowSample]) -> Result<(), String> {
        let capacity = self.capacity.max(1);
        let has_shape = |s: &RowSample| !(s.columns.is_empty() && s.is_empty());
        let sources: Vec<&RowSample> = std::iter::once(&*self)
            .chain(others)
            .filter(|s| has_shape(s))
            .collect();
        let Some(first) = sources.first() else {
            return Ok(());
        };
        if let Some(odd) = sources
            .iter()
            .find(|s| s.names != first.names || s.columns.len() != first.columns.len())
        {
            return Err(format!(
                "row samples hold different columns: {:?} and {:?}",
                first.names, odd.names
            ));
        }
        // (priority, source, row): sorting the tuples breaks ties by source, then row.
        let mut take: Vec<(u64, u32, u32)> = sources
            .iter()
            .enumerate()
            .flat_map(|(s, src)| {
                src.priorities
                    .iter()
                    .enumerate()
                    .map(move |(r, &p)| (p, s as u32, r as u32))
            })
            .collect();
        if take.len() > capacity {
            take.select_nth_unstable(capacity - 1);
            take.truncate(capacity);
        }
        take.sort_unstable();
        let mut columns = Vec::with_capacity(first.columns.len());
        for c in 0..first.columns.len() {
            columns.push(gather_column(&sources, c, &take).map_err(|()| {
                format!(
                    "column `{}` is numeric in one row sample and categorical in another",
                    first.names.get(c).map(String::as_str).unwrap_or("?")
                )
            })?);
        }
        let names = first.names.clone();
        self.priorities = take.iter().map(|t| t.0).collect();
        self.columns = columns;
        self.names = names;
        self.capacity = capacity;
        Ok(())
    }
}

/// Column `c` of the rows in `take` (`(priority, source, row)`), from `sources`. Categories are
/// renumbered into one dictionary sorted by label. `Err` when the sources disagree on the kind.
fn gather_column(
    sources: &[&RowSample],
    c: usize,
    take: &[(u64, u32, u32)],
) -> Result<SampleColumn, ()> {
    if let SampleColumn::Numeric(_) = sources[0].columns[c] {
        let values: Vec<&[f64]> = sources
            .iter()
            .map(|s| match &s.columns[c] {
                SampleColumn::Numeric(v) => Ok(v.as_slice()),
                SampleColumn::Categorical { .. } => Err(()),
            })
            .collect::<Result<_, _>>()?;
        return Ok(SampleColumn::Numeric(
            take.iter()
                .map(|&(_, s, r)| values[s as usize][r as usize])
                .collect(),
        ));
    }
    let parts: Vec<(&[u32], &[String])> = sources
        .iter()
        .map(|s| match &s.columns[c] {
            SampleColumn::Categorical { codes, dictionary } => {
                Ok((codes.as_slice(), dictionary.as_slice()))
            }
            SampleColumn::Numeric(_) => Err(()),
        })
        .collect::<Result<_, _>>()?;
    let code = |s: u32, r: u32| parts[s as usize].0[r as usize];
    let mut labels: Vec<&str> = take
        .iter()
        .filter(|&&(_, s, r)| code(s, r) != MISSING_CODE)
        .map(|&(_, s, r)| parts[s as usize].1[code(s, r) as usize].as_str())
        .collect();
    labels.sort_unstable();
    labels.dedup();
    // Old code -> new code, per source; codes of labels no kept row uses stay unmapped.
    let renumber: Vec<Vec<u32>> = parts
        .iter()
        .map(|(_, dictionary)| {
            dictionary
                .iter()
                .map(|l| {
                    labels
                        .binary_search(&l.as_str())
                        .map_or(MISSING_CODE, |p| p as u32)
                })
                .collect()
        })
        .collect();
    let codes = take
        .iter()
        .map(|&(_, s, r)| match code(s, r) {
            MISSING_CODE => MISSING_CODE,
            k => renumber[s as usize][k as usize],
        })
        .collect();
    Ok(SampleColumn::Categorical {
        codes,
        dictionary: labels.into_iter().map(str::to_string).collect(),
    })
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
    fn merging_many_at_once_equals_merging_one_by_one() {
        let part = |seed: u64, rows: usize| RowSample {
            capacity: 7,
            priorities: {
                let mut p: Vec<u64> = (0..rows as u64).map(|r| mix64(seed ^ r) % 40).collect();
                p.sort_unstable();
                p
            },
            names: vec!["x".into(), "c".into()],
            columns: vec![
                SampleColumn::Numeric((0..rows).map(|r| (seed * 100 + r as u64) as f64).collect()),
                SampleColumn::Categorical {
                    codes: (0..rows as u32)
                        .map(|r| if r % 3 == 0 { MISSING_CODE } else { r % 2 })
                        .collect(),
                    dictionary: vec![format!("k{seed}"), "shared".into()],
                },
            ],
        };
        let parts: Vec<RowSample> = (1..6).map(|s| part(s, 2 + s as usize)).collect();
        let mut at_once = part(0, 4);
        at_once.merge_all(&parts).unwrap();
        let mut one_by_one = part(0, 4);
        for p in &parts {
            one_by_one.merge(p).unwrap();
        }
        assert_eq!(at_once, one_by_one);
        assert_eq!(at_once.len(), 7);
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
