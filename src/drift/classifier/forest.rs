//! The small-sample model: a random forest written for the label-permutation null, which refits
//! it some five hundred times per run.
//!
//! At a few hundred rows a general-purpose booster spends most of each fit on fixed costs
//! (binning, allocation, thread hand-offs); here the features are coded once per run as dense
//! ranks ([`RankedFeatures`]), every buffer lives in a [`Workspace`] reused across trees and
//! permutations, and a node's split is found from a class-count histogram over the ranks of its
//! rows, so a tree over 60 rows costs about two microseconds.
//!
//! The trees are CART trees on bootstrap samples (Gini impurity, `max_features` candidate
//! features per node, leaves of at least `min_leaf` bootstrap rows), as scikit-learn's
//! `RandomForestClassifier` grows them. Each row is scored **out of bag**: by the trees whose
//! bootstrap sample left it out (about 37 % of them), so no row is scored by a model that saw
//! it. That is cross-fitting with the bootstrap as the split, and one forest does what K folds
//! of forests did: at 30 rows per side 32 trees scored out of bag found a 1.5 sd shift as often
//! as 10 folds of 32 trees, in a tenth of the time (`docs/classifier.md`). Out-of-bag rows ride
//! along the in-bag rows down each tree and take the leaf's share of target rows, so no tree is
//! stored. A missing value (rank 0) goes, per split, to whichever side gives the lower impurity,
//! and "missing vs present" is a split of its own, so a jump in the missing rate is drift the
//! forest sees. Categorical codes (by baseline frequency, `super::encoding`) are ranked like
//! numbers.
//!
//! Contributions are the trees' mean decrease in impurity (each split's Gini decrease, weighted
//! by its rows, summed per feature).

use crate::base::rng::{SplitMix64, derive_seed};

use super::ClassifierError;
use super::encoding::FeatureMatrix;

/// Parameters of the forest, chosen by measurement (`docs/classifier.md`, "Choosing the model").
#[derive(Debug, Clone, PartialEq)]
pub struct ForestParams {
    /// Trees in the forest; each row is scored by the ones that left it out of their bootstrap
    /// sample. Default 32.
    pub trees: usize,
    /// Fewest bootstrap rows in a leaf. Default 20; a node splits only with at least twice that,
    /// so below 20 rows per side the forest cannot split and the coefficient is 0.
    pub min_leaf: usize,
    /// Deepest split level (the root is level 0). Default 4: at 1,000 rows per side it halves
    /// a refit's time against 8, and a drifted feature or pair shows in the first splits.
    pub max_depth: usize,
    /// Candidate features per node; 0 means the rounded square root of the feature count.
    /// Default 5.
    pub max_features: usize,
    /// Most bins per feature: ranks are merged into this many groups of neighbouring values, so
    /// a node's split search scans at most this many candidates. Default 16.
    pub bins: usize,
}

impl Default for ForestParams {
    fn default() -> Self {
        ForestParams {
            trees: 32,
            min_leaf: 20,
            max_depth: 4,
            max_features: 5,
            bins: 16,
        }
    }
}

impl ForestParams {
    /// One line naming the model and its parameters, for the result document.
    pub fn describe(&self) -> String {
        let features = if self.max_features == 0 {
            "sqrt(features)".to_string()
        } else {
            self.max_features.to_string()
        };
        format!(
            "random forest, {} trees scored out of bag, min leaf {} rows, depth {}, {} features per split, {} bins",
            self.trees, self.min_leaf, self.max_depth, features, self.bins
        )
    }

    /// Checks every parameter's range.
    pub(super) fn validate(&self) -> Result<(), ClassifierError> {
        let invalid = |option, value: usize, reason| {
            Err(ClassifierError::InvalidOption {
                option,
                value: value.to_string(),
                reason,
            })
        };
        if self.trees == 0 {
            return invalid("trees", self.trees, "must be at least 1");
        }
        if self.min_leaf == 0 {
            return invalid("min_leaf", self.min_leaf, "must be at least 1");
        }
        if self.max_depth == 0 {
            return invalid("max_depth", self.max_depth, "must be at least 1");
        }
        if self.bins < 2 {
            return invalid("bins", self.bins, "must be at least 2");
        }
        Ok(())
    }

    /// Candidate features per node for `cols` features.
    fn features_per_split(&self, cols: usize) -> usize {
        let m = if self.max_features == 0 {
            (cols as f64).sqrt().round() as usize
        } else {
            self.max_features
        };
        m.clamp(1, cols.max(1))
    }
}

/// Features coded once per run as dense ranks over all rows, merged into at most `bins` groups
/// of neighbouring values: 0 is missing, `1..=levels[c]` the groups in ascending order. Only
/// the order matters to a tree, so ranks lose nothing and make a node's histogram a plain
/// array; the grouping bounds the split search's cost (at 60 rows, 32 groups of about two
/// values).
#[derive(Debug, Clone)]
pub struct RankedFeatures {
    rows: usize,
    cols: usize,
    /// Column-major ranks.
    codes: Vec<u32>,
    /// Distinct finite values per column.
    levels: Vec<u32>,
}

impl RankedFeatures {
    /// Ranks every column of `x` (NaN is missing) into at most `bins` groups.
    pub fn new(x: &FeatureMatrix, bins: usize) -> Self {
        let bins = bins.max(1) as u64;
        let mut codes = vec![0u32; x.rows * x.cols];
        let mut levels = Vec::with_capacity(x.cols);
        let mut order: Vec<usize> = Vec::with_capacity(x.rows);
        for c in 0..x.cols {
            let col = &x.data[c * x.rows..(c + 1) * x.rows];
            order.clear();
            order.extend((0..x.rows).filter(|&i| !col[i].is_nan()));
            order.sort_by(|&a, &b| col[a].total_cmp(&col[b]));
            let out = &mut codes[c * x.rows..(c + 1) * x.rows];
            let mut rank = 0u32;
            let mut previous = f64::NAN;
            for &i in &order {
                // -0.0 and 0.0 are one value.
                if rank == 0 || col[i] != previous {
                    rank += 1;
                    previous = col[i];
                }
                out[i] = rank;
            }
            if u64::from(rank) > bins {
                // Rank r in 1..=rank -> group 1 + floor((r - 1) bins / rank).
                for &i in &order {
                    out[i] = 1 + ((u64::from(out[i]) - 1) * bins / u64::from(rank)) as u32;
                }
                rank = bins as u32;
            }
            levels.push(rank);
        }
        RankedFeatures {
            rows: x.rows,
            cols: x.cols,
            codes,
            levels,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    fn column(&self, c: usize) -> &[u32] {
        &self.codes[c * self.rows..(c + 1) * self.rows]
    }
}

/// Buffers of one thread's fits, reused across trees and permutations.
pub struct Workspace {
    /// Class counts (baseline, target) per rank, all zero between uses.
    hist: Vec<[u32; 2]>,
    /// Bootstrap count of each row; 0 for rows out of the tree's sample.
    weight: Vec<u32>,
    /// Rows of the tree, grouped by node: in-bag rows and out-of-bag rows.
    order: Vec<u32>,
    /// Features in the order a node considers them.
    features: Vec<usize>,
    /// Nodes waiting to be split: range of `order`, depth, class counts.
    stack: Vec<Node>,
    /// Sum over trees of each out-of-bag row's leaf share.
    sum: Vec<f64>,
    /// Trees each row was out of bag for.
    scored: Vec<u32>,
    /// Labels of a permuted run.
    pub(super) labels: Vec<bool>,
}

#[derive(Clone, Copy)]
struct Node {
    start: usize,
    end: usize,
    depth: usize,
    counts: [u32; 2],
}

/// The best split of a node found so far.
#[derive(Clone, Copy)]
struct Split {
    /// Weighted Gini of the children (lower is better): l0 l1 / l + r0 r1 / r.
    impurity: f64,
    feature: usize,
    /// Present rows with rank at most this go left.
    threshold: u32,
    missing_left: bool,
}

impl Workspace {
    /// Buffers for `data`.
    pub fn new(data: &RankedFeatures) -> Self {
        let most_levels = data.levels.iter().copied().max().unwrap_or(0) as usize;
        Workspace {
            hist: vec![[0; 2]; most_levels + 1],
            weight: vec![0; data.rows],
            order: Vec::with_capacity(data.rows),
            features: (0..data.cols).collect(),
            stack: Vec::new(),
            sum: vec![0.0; data.rows],
            scored: vec![0; data.rows],
            labels: Vec::with_capacity(data.rows),
        }
    }
}

/// Fits the forest to `labels` and scores every row out of bag: writes each row's probability
/// of the target label, the mean leaf share over the trees that left it out of their bootstrap
/// sample (0.5 for a row every tree drew: with 32 trees, about 4 in 10^7 rows), into `proba`, and adds each feature's impurity decrease into `importance` when given.
pub fn fit_out_of_bag(
    data: &RankedFeatures,
    labels: &[bool],
    seed: u64,
    params: &ForestParams,
    ws: &mut Workspace,
    proba: &mut [f64],
    mut importance: Option<&mut [f64]>,
) {
    let mtry = params.features_per_split(data.cols);
    ws.sum.iter_mut().for_each(|s| *s = 0.0);
    ws.scored.iter_mut().for_each(|c| *c = 0);
    let mut rng = SplitMix64::new(derive_seed(seed, 2));
    for _ in 0..params.trees {
        grow(
            data,
            labels,
            params,
            mtry,
            &mut rng,
            ws,
            importance.as_deref_mut(),
        );
    }
    for ((p, s), &c) in proba.iter_mut().zip(&ws.sum).zip(&ws.scored) {
        *p = if c == 0 { 0.5 } else { s / f64::from(c) };
    }
}

/// Grows one tree on a bootstrap sample of all rows and adds its leaf shares to the rows the
/// sample left out.
fn grow(
    data: &RankedFeatures,
    labels: &[bool],
    params: &ForestParams,
    mtry: usize,
    rng: &mut SplitMix64,
    ws: &mut Workspace,
    mut importance: Option<&mut [f64]>,
) {
    let rows = data.rows;
    ws.weight.iter_mut().for_each(|w| *w = 0);
    // The feature order starts afresh, so a tree depends on its seed alone, not on what the
    // workspace grew before (a thread's permutations differ from run to run).
    for (i, f) in ws.features.iter_mut().enumerate() {
        *f = i;
    }
    let mut counts = [0u32; 2];
    for _ in 0..rows {
        let r = rng.below(rows);
        ws.weight[r] += 1;
        counts[usize::from(labels[r])] += 1;
    }
    ws.order.clear();
    ws.order
        .extend((0..rows as u32).filter(|&r| ws.weight[r as usize] > 0));
    ws.order
        .extend((0..rows as u32).filter(|&r| ws.weight[r as usize] == 0));
    ws.stack.clear();
    ws.stack.push(Node {
        start: 0,
        end: ws.order.len(),
        depth: 0,
        counts,
    });
    let min_leaf = params.min_leaf as u32;
    while let Some(node) = ws.stack.pop() {
        let [n0, n1] = node.counts;
        let splittable =
            n0 > 0 && n1 > 0 && n0 + n1 >= 2 * min_leaf && node.depth < params.max_depth;
        let split = if splittable {
            best_split(data, labels, node, mtry, min_leaf, rng, ws)
        } else {
            None
        };
        let Some(split) = split else {
            let share = f64::from(n1) / f64::from(n0 + n1);
            for &r in &ws.order[node.start..node.end] {
                if ws.weight[r as usize] == 0 {
                    ws.sum[r as usize] += share;
                    ws.scored[r as usize] += 1;
                }
            }
            continue;
        };
        // Partition the node's rows: left first.
        let codes = data.column(split.feature);
        let goes_left = |r: u32| {
            let c = codes[r as usize];
            if c == 0 {
                split.missing_left
            } else {
                c <= split.threshold
            }
        };
        let (mut i, mut j) = (node.start, node.end);
        let mut left = [0u32; 2];
        while i < j {
            let r = ws.order[i];
            if goes_left(r) {
                let w = ws.weight[r as usize];
                left[usize::from(labels[r as usize])] += w;
                i += 1;
            } else {
                j -= 1;
                ws.order.swap(i, j);
            }
        }
        let right = [n0 - left[0], n1 - left[1]];
        if let Some(imp) = importance.as_deref_mut() {
            let parent = gini(node.counts);
            imp[split.feature] += 2.0 * (parent - split.impurity);
        }
        for (start, end, counts) in [(node.start, i, left), (i, node.end, right)] {
            ws.stack.push(Node {
                start,
                end,
                depth: node.depth + 1,
                counts,
            });
        }
    }
}

/// n0 n1 / (n0 + n1): half the Gini impurity of a node times its rows.
fn gini([n0, n1]: [u32; 2]) -> f64 {
    let n = n0 + n1;
    if n == 0 {
        0.0
    } else {
        f64::from(n0) * f64::from(n1) / f64::from(n)
    }
}

/// The split of `node` with the lowest children's impurity over at least `mtry` features drawn
/// at random (more when none of the first `mtry` can split, as scikit-learn does), with at least
/// `min_leaf` bootstrap rows on each side; `None` when no feature can split.
fn best_split(
    data: &RankedFeatures,
    labels: &[bool],
    node: Node,
    mtry: usize,
    min_leaf: u32,
    rng: &mut SplitMix64,
    ws: &mut Workspace,
) -> Option<Split> {
    let [n0, n1] = node.counts;
    let mut best: Option<Split> = None;
    let cols = ws.features.len();
    for visited in 0..cols {
        if visited >= mtry && best.is_some() {
            break;
        }
        // Partial Fisher-Yates: the next feature at random among those not visited.
        let pick = visited + rng.below(cols - visited);
        ws.features.swap(visited, pick);
        let f = ws.features[visited];
        let levels = data.levels[f] as usize;
        if levels == 0 {
            continue;
        }
        let codes = data.column(f);
        let rows = &ws.order[node.start..node.end];
        for &r in rows {
            let w = ws.weight[r as usize];
            ws.hist[codes[r as usize] as usize][usize::from(labels[r as usize])] += w;
        }
        let [m0, m1] = ws.hist[0];
        let has_missing = m0 + m1 > 0;
        let mut consider = |l: [u32; 2], threshold: u32, missing_left: bool| {
            let r = [n0 - l[0], n1 - l[1]];
            if l[0] + l[1] < min_leaf || r[0] + r[1] < min_leaf {
                return;
            }
            // Without missing rows in the node, out-of-bag missing values follow the larger
            // side.
            let missing_left = if has_missing {
                missing_left
            } else {
                l[0] + l[1] >= r[0] + r[1]
            };
            let impurity = gini(l) + gini(r);
            if best.is_none_or(|b| impurity < b.impurity - 1e-12) {
                best = Some(Split {
                    impurity,
                    feature: f,
                    threshold,
                    missing_left,
                });
            }
        };
        let mut left = [0u32; 2];
        let mut last: u32 = 0;
        for b in 1..=levels {
            let h = ws.hist[b];
            if h == [0, 0] {
                continue;
            }
            if last > 0 {
                // Between the occupied ranks `last` and `b`: ranks only out-of-bag rows hold
                // are split between the sides.
                let threshold = last + (b as u32 - last - 1) / 2;
                consider(left, threshold, false);
                if has_missing {
                    consider([left[0] + m0, left[1] + m1], threshold, true);
                }
            }
            left[0] += h[0];
            left[1] += h[1];
            last = b as u32;
        }
        if has_missing && last > 0 {
            // Present left, missing right.
            consider(left, u32::MAX, false);
        }
        for &r in rows {
            ws.hist[codes[r as usize] as usize] = [0, 0];
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(cols: Vec<Vec<f64>>) -> FeatureMatrix {
        let rows = cols[0].len();
        FeatureMatrix {
            rows,
            cols: cols.len(),
            data: cols.into_iter().flatten().collect(),
        }
    }

    #[test]
    fn ranks_are_dense_with_ties_and_missing_as_zero() {
        let x = matrix(vec![vec![2.5, f64::NAN, -1.0, 2.5, 0.0, -0.0]]);
        let r = RankedFeatures::new(&x, 32);
        assert_eq!(r.column(0), &[3, 0, 1, 3, 2, 2]);
        assert_eq!(r.levels, vec![3]);
        let x = matrix(vec![(0..8).map(f64::from).collect()]);
        let r = RankedFeatures::new(&x, 3);
        assert_eq!(r.column(0), &[1, 1, 1, 2, 2, 2, 3, 3]);
    }

    #[test]
    fn a_separable_feature_is_split_on_and_scores_rows_out_of_bag() {
        // Column 0 separates the labels; column 1 is noise.
        let n = 80;
        let labels: Vec<bool> = (0..n).map(|i| i >= n / 2).collect();
        let x = matrix(vec![
            (0..n)
                .map(|i| if i >= n / 2 { 1.0 } else { 0.0 } + i as f64 * 1e-3)
                .collect(),
            (0..n).map(|i| ((i * 7) % 11) as f64).collect(),
        ]);
        let data = RankedFeatures::new(&x, 128);
        let mut ws = Workspace::new(&data);
        let mut proba = vec![0.0; n];
        let mut importance = vec![0.0; 2];
        let params = ForestParams::default();
        fit_out_of_bag(
            &data,
            &labels,
            1,
            &params,
            &mut ws,
            &mut proba,
            Some(&mut importance),
        );
        // A row next to the boundary may fall between a tree's in-bag values, where the cut is
        // placed midway: out of bag, it can be misjudged. Every other row is right.
        for (i, (p, &t)) in proba.iter().zip(&labels).enumerate() {
            if i.abs_diff(n / 2) > 3 {
                assert_eq!(*p > 0.5, t, "row {i}: {proba:?}");
            }
        }
        assert!(importance[0] > 5.0 * importance[1], "{importance:?}");
        // Every row was left out by some of the 32 trees.
        assert!(ws.scored.iter().all(|&c| c > 0), "{:?}", ws.scored);
    }

    #[test]
    fn a_row_is_scored_only_by_trees_that_did_not_draw_it() {
        // One row of each label per value: a tree that drew a row could place it in a pure
        // leaf, one that did not can only guess from its neighbours. With the labels
        // alternating, the out-of-bag rows carry no signal and the probabilities stay away
        // from the in-bag answer (0 or 1).
        let n = 80;
        let labels: Vec<bool> = (0..n).map(|i| i % 2 == 1).collect();
        let x = matrix(vec![(0..n).map(|i| i as f64).collect()]);
        let data = RankedFeatures::new(&x, 128);
        let mut ws = Workspace::new(&data);
        let mut proba = vec![0.0; n];
        let params = ForestParams {
            min_leaf: 1,
            max_depth: 16,
            ..ForestParams::default()
        };
        fit_out_of_bag(&data, &labels, 3, &params, &mut ws, &mut proba, None);
        let accuracy = proba
            .iter()
            .zip(&labels)
            .filter(|&(&p, &t)| (p > 0.5) == t)
            .count() as f64
            / n as f64;
        assert!(accuracy < 0.7, "{accuracy} {proba:?}");
    }

    #[test]
    fn missing_versus_present_is_a_split() {
        let n = 80;
        let labels: Vec<bool> = (0..n).map(|i| i >= n / 2).collect();
        let x = matrix(vec![
            (0..n)
                .map(|i| if i >= n / 2 { f64::NAN } else { i as f64 })
                .collect(),
        ]);
        let data = RankedFeatures::new(&x, 32);
        let mut ws = Workspace::new(&data);
        let mut proba = vec![0.0; n];
        fit_out_of_bag(
            &data,
            &labels,
            1,
            &ForestParams::default(),
            &mut ws,
            &mut proba,
            None,
        );
        for (p, &t) in proba.iter().zip(&labels) {
            assert_eq!(*p > 0.5, t, "{proba:?}");
        }
    }
}
