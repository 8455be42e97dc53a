//! How a feature becomes a column of numbers the model reads.
//!
//! Numeric features go in as they are; NaN (missing, invalid, non-finite) is handled by the
//! model, which learns for every split which side missing values go to and may split
//! "missing vs present" on its own, so a jump in the missing rate is drift the classifier sees.
//! Categorical features are coded by baseline frequency: the most frequent baseline category (in
//! the classifier's baseline rows) is 0, the next 1, ties broken by label; categories that occur
//! only in the target get the codes after those, by target frequency; missing is NaN. Frequency
//! order puts categories of similar weight next to each other, so few cuts isolate a shift.

use std::collections::HashMap;

use super::{ClassifierError, FeatureSpec, Side};
use crate::drift::result::FeatureKind;
use crate::profile::sample::{MISSING_CODE, RowSample, SampleColumn};

/// Features in column-major order, as the booster reads them; NaN is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    /// `cols` columns of `rows` values each, one after the other.
    pub data: Vec<f64>,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns (features).
    pub cols: usize,
}

impl FeatureMatrix {
    /// The rows at `index`, in that order.
    pub fn select(&self, index: &[usize]) -> FeatureMatrix {
        let mut data = Vec::with_capacity(index.len() * self.cols);
        for c in 0..self.cols {
            let col = &self.data[c * self.rows..(c + 1) * self.rows];
            data.extend(index.iter().map(|&i| col[i]));
        }
        FeatureMatrix {
            data,
            rows: index.len(),
            cols: self.cols,
        }
    }
}

/// How each feature becomes a column of numbers: for a categorical feature, the code of each
/// label (see the module docs); numeric features pass through.
pub(super) struct Encoder {
    names: Vec<String>,
    /// Per feature: `None` for numeric, else label -> code.
    codes: Vec<Option<HashMap<String, f64>>>,
}

impl Encoder {
    /// Codes from the first `baseline_rows` baseline rows and `target_rows` target rows.
    pub(super) fn new(
        baseline: &RowSample,
        baseline_rows: usize,
        target: &RowSample,
        target_rows: usize,
        features: &[FeatureSpec],
    ) -> Result<Self, ClassifierError> {
        let mut codes = Vec::with_capacity(features.len());
        for f in features {
            if f.kind == FeatureKind::Numeric {
                codes.push(None);
                continue;
            }
            let base = label_counts(baseline, Side::Baseline, &f.name, baseline_rows)?;
            let tgt = label_counts(target, Side::Target, &f.name, target_rows)?;
            let mut map = HashMap::new();
            for (label, _) in ordered(&base) {
                let next = map.len() as f64;
                map.insert(label.to_string(), next);
            }
            for (label, _) in ordered(&tgt) {
                if !map.contains_key(label) {
                    let next = map.len() as f64;
                    map.insert(label.to_string(), next);
                }
            }
            codes.push(Some(map));
        }
        Ok(Encoder {
            names: features.iter().map(|f| f.name.clone()).collect(),
            codes,
        })
    }

    /// Column-major matrix of the rows `range` of `sample`.
    pub(super) fn encode(
        &self,
        sample: &RowSample,
        side: Side,
        range: std::ops::Range<usize>,
    ) -> Result<FeatureMatrix, ClassifierError> {
        let rows = range.len();
        let mut data = Vec::with_capacity(rows * self.names.len());
        for (name, codes) in self.names.iter().zip(&self.codes) {
            let col = sample
                .column(name)
                .ok_or_else(|| ClassifierError::MissingFeature {
                    feature: name.clone(),
                    side,
                })?;
            match (col, codes) {
                (SampleColumn::Numeric(v), _) => data.extend(
                    v[range.clone()]
                        .iter()
                        .map(|&x| if x.is_finite() { x } else { f64::NAN }),
                ),
                (
                    SampleColumn::Categorical {
                        codes: sampled,
                        dictionary,
                    },
                    Some(map),
                ) => {
                    // Translate the sample's dictionary once, then each row.
                    let local: Vec<f64> = dictionary
                        .iter()
                        .map(|label| map.get(label).copied().unwrap_or(f64::NAN))
                        .collect();
                    for &code in &sampled[range.clone()] {
                        data.push(categorical_value(&local, code, name, side)?);
                    }
                }
                (SampleColumn::Categorical { .. }, None) => {
                    return Err(ClassifierError::KindMismatch {
                        feature: name.clone(),
                        side,
                        declared: "numeric",
                        found: "categorical",
                    });
                }
            }
        }
        Ok(FeatureMatrix {
            data,
            rows,
            cols: self.names.len(),
        })
    }
}

fn categorical_value(
    local: &[f64],
    code: u32,
    name: &str,
    side: Side,
) -> Result<f64, ClassifierError> {
    if code == MISSING_CODE {
        return Ok(f64::NAN);
    }
    local
        .get(code as usize)
        .copied()
        .ok_or_else(|| ClassifierError::BadCode {
            feature: name.to_string(),
            side,
            code,
            dictionary: local.len(),
        })
}

/// Occurrences of each label among the first `rows` rows of a categorical sample column.
fn label_counts<'a>(
    sample: &'a RowSample,
    side: Side,
    name: &str,
    rows: usize,
) -> Result<Vec<(&'a str, usize)>, ClassifierError> {
    let Some(SampleColumn::Categorical { codes, dictionary }) = sample.column(name) else {
        return Err(ClassifierError::MissingFeature {
            feature: name.to_string(),
            side,
        });
    };
    let mut counts = vec![0usize; dictionary.len()];
    for &code in codes.iter().take(rows) {
        if code == MISSING_CODE {
            continue;
        }
        match counts.get_mut(code as usize) {
            Some(c) => *c += 1,
            None => {
                return Err(ClassifierError::BadCode {
                    feature: name.to_string(),
                    side,
                    code,
                    dictionary: dictionary.len(),
                });
            }
        }
    }
    Ok(dictionary
        .iter()
        .map(String::as_str)
        .zip(counts)
        .filter(|(_, c)| *c > 0)
        .collect())
}

/// Labels by descending count, ties by label, so the coding does not depend on dictionary order.
fn ordered<'a>(counts: &[(&'a str, usize)]) -> Vec<(&'a str, usize)> {
    let mut v = counts.to_vec();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    v
}

/// Baseline rows on top of target rows.
pub(super) fn stack(a: &FeatureMatrix, b: &FeatureMatrix) -> FeatureMatrix {
    let rows = a.rows + b.rows;
    let mut data = Vec::with_capacity(rows * a.cols);
    for c in 0..a.cols {
        data.extend_from_slice(&a.data[c * a.rows..(c + 1) * a.rows]);
        data.extend_from_slice(&b.data[c * b.rows..(c + 1) * b.rows]);
    }
    FeatureMatrix {
        data,
        rows,
        cols: a.cols,
    }
}
