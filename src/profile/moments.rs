//! Exact, order-independent mean and variance: the sum and the sum of squares of a column's
//! finite values, kept as exact integers.
//!
//! # Why exact
//!
//! A floating-point sum rounds at every addition, so its last bits depend on the order of the
//! values and on where chunks, files or Spark partitions begin: two profiles of the same data
//! would differ in their bytes. And `x * x` overflows to infinity above about 1.4e154, so one
//! sentinel value such as `1.7976931348623157e308` made the standard deviation infinite. Here
//! every finite double is an integer multiple of 2^-1074 and its square an integer multiple of
//! 2^-2148, so both sums are kept as exact integers (`Σx · 2^1074` and `Σx² · 2^2148`) in fixed
//! width: addition of integers is exact, commutative and associative, so the result is a function
//! of the multiset of values alone, and nothing overflows. Mean and standard deviation are
//! finished from the exact sums (`n·Σx² − (Σx)²` is computed exactly, so there is no
//! cancellation), each rounded once.
//!
//! # Cost
//!
//! A value adds its 53-bit significand to a bin for its binary exponent (`i128`), and its
//! significand squared, an exact 106-bit integer, to a second bin for the same exponent (`u128`):
//! two integer additions, no rounding, no branch. After a chunk the few bins in use are folded
//! into the fixed-width integers. The bins live in a per-thread buffer.

use std::cell::RefCell;

use num_bigint::{BigInt, BigUint, Sign};

/// Binary exponents of a double (the 11-bit field), one bin each.
const EXPONENTS: usize = 2048;

/// Values folded at most between two flushes of the bins: a square's significand is below 2^106,
/// so a `u128` bin holds 2^22 of them; half of that leaves room.
const FLUSH_EVERY: usize = 1 << 21;

/// 64-bit limbs of `Σx · 2^1074`, two's complement: |x| · 2^1074 < 2^2098, and 2^64 values add
/// 64 bits, plus a sign bit.
const SUM_LIMBS: usize = 35;

/// 64-bit limbs of `Σx² · 2^2148`: x² · 2^2148 < 2^4196, and 2^64 values add 64 bits.
const SQUARES_LIMBS: usize = 67;

/// A fixed-width little-endian integer of `N` 64-bit limbs, wrapping like two's complement.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Wide<const N: usize>([u64; N]);

impl<const N: usize> Wide<N> {
    const ZERO: Self = Wide([0; N]);

    /// Adds `magnitude << shift`, or subtracts it when `negative` (wrapping at the full width,
    /// which is two's complement).
    fn add_shifted(&mut self, magnitude: u128, negative: bool, shift: u32) {
        let limb = (shift / 64) as usize;
        let bit = shift % 64;
        // `magnitude << bit` spans at most three limbs.
        let parts = [
            (magnitude << bit) as u64,
            (magnitude >> (64 - bit)) as u64,
            if bit == 0 {
                0
            } else {
                (magnitude >> (128 - bit)) as u64
            },
        ];
        if negative {
            self.sub_parts(limb, parts);
        } else {
            self.add_parts(limb, parts);
        }
    }

    fn add_parts(&mut self, limb: usize, parts: [u64; 3]) {
        let mut carry = false;
        for i in limb..N {
            let add = parts.get(i - limb).copied().unwrap_or(0);
            if add == 0 && !carry && i >= limb + 3 {
                break;
            }
            let (s, c1) = self.0[i].overflowing_add(add);
            let (s, c2) = s.overflowing_add(carry as u64);
            self.0[i] = s;
            carry = c1 || c2;
        }
    }

    fn sub_parts(&mut self, limb: usize, parts: [u64; 3]) {
        let mut borrow = false;
        for i in limb..N {
            let sub = parts.get(i - limb).copied().unwrap_or(0);
            if sub == 0 && !borrow && i >= limb + 3 {
                break;
            }
            let (s, b1) = self.0[i].overflowing_sub(sub);
            let (s, b2) = s.overflowing_sub(borrow as u64);
            self.0[i] = s;
            borrow = b1 || b2;
        }
    }

    /// Adds another integer of the same width.
    fn add(&mut self, other: &Self) {
        let mut carry = false;
        for (a, &b) in self.0.iter_mut().zip(&other.0) {
            let (s, c1) = a.overflowing_add(b);
            let (s, c2) = s.overflowing_add(carry as u64);
            *a = s;
            carry = c1 || c2;
        }
    }

    fn is_negative(&self) -> bool {
        self.0[N - 1] >> 63 == 1
    }

    /// The value as a signed big integer.
    fn to_bigint(&self) -> BigInt {
        let magnitude = |limbs: &[u64; N]| {
            BigUint::from_bytes_le(
                &limbs
                    .iter()
                    .flat_map(|l| l.to_le_bytes())
                    .collect::<Vec<u8>>(),
            )
        };
        if self.is_negative() {
            let mut n = Wide::<N>::ZERO;
            for (i, &l) in self.0.iter().enumerate() {
                n.0[i] = !l;
            }
            n.add_parts(0, [1, 0, 0]);
            BigInt::from_biguint(Sign::Minus, magnitude(&n.0))
        } else {
            BigInt::from_biguint(Sign::Plus, magnitude(&self.0))
        }
    }

    /// Little-endian bytes without the high bytes that only repeat the sign: the canonical form
    /// written to a profile.
    fn to_trimmed_bytes(&self) -> Vec<u8> {
        self.to_bigint().to_signed_bytes_le()
    }

    /// Reads [`Wide::to_trimmed_bytes`]; `None` when the value does not fit.
    fn from_trimmed_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > N * 8 {
            return None;
        }
        let fill = if bytes.last().is_some_and(|b| b >> 7 == 1) {
            0xff
        } else {
            0
        };
        let mut full = vec![fill; N * 8];
        full[..bytes.len()].copy_from_slice(bytes);
        let mut w = Wide::<N>::ZERO;
        for (i, limb) in full.chunks_exact(8).enumerate() {
            let mut a = [0u8; 8];
            a.copy_from_slice(limb);
            w.0[i] = u64::from_le_bytes(a);
        }
        Some(w)
    }
}

impl<const N: usize> std::fmt::Debug for Wide<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_bigint())
    }
}

/// Per-exponent bins that a chunk's values are added to before they are folded into [`Moments`]
/// (see the module docs, "Cost").
struct Bins {
    sums: Vec<i128>,
    squares: Vec<u128>,
}

thread_local! {
    static BINS: RefCell<Bins> = RefCell::new(Bins {
        sums: vec![0; EXPONENTS],
        squares: vec![0; EXPONENTS],
    });
}

/// The exact sum and sum of squares of a set of finite values (see the module docs). The
/// integers are boxed: 816 bytes inline would make every column statistic that large.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Moments {
    /// `Σx · 2^1074`.
    sum: Box<Wide<SUM_LIMBS>>,
    /// `Σx² · 2^2148`.
    squares: Box<Wide<SQUARES_LIMBS>>,
}

impl Default for Moments {
    fn default() -> Self {
        Moments {
            sum: Box::new(Wide::ZERO),
            squares: Box::new(Wide::ZERO),
        }
    }
}

impl std::fmt::Debug for Moments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Moments")
            .field("sum_times_2^1074", &self.sum)
            .field("squares_times_2^2148", &self.squares)
            .finish()
    }
}

/// A finite double as `(significand, bin)`: `|x| = significand · 2^(bin − 1075)`, the bin being
/// the exponent field (1 for subnormals and zero, which share their scale).
#[inline(always)]
fn split(bits: u64) -> (u64, usize) {
    let exponent = ((bits >> 52) & 0x7ff) as usize;
    let significand = (bits & ((1 << 52) - 1)) | (u64::from(exponent != 0) << 52);
    (significand, exponent.max(1))
}

impl Moments {
    /// Adds finite values (the caller leaves out NaN and infinities).
    pub fn add(&mut self, values: &[f64]) {
        debug_assert!(values.iter().all(|v| v.is_finite()));
        BINS.with_borrow_mut(|bins| {
            for part in values.chunks(FLUSH_EVERY) {
                let (sums, squares) = (&mut bins.sums[..], &mut bins.squares[..]);
                for &x in part {
                    let bits = x.to_bits();
                    let (m, bin) = split(bits);
                    // Branch-free sign: `(m ^ s) − s` negates when s is all ones.
                    let s = -((bits >> 63) as i128);
                    sums[bin] += (m as i128 ^ s) - s;
                    squares[bin] += (m as u128) * (m as u128);
                }
                self.fold(bins);
            }
        });
    }

    /// Moves the bins' contents into the exact sums and clears them.
    fn fold(&mut self, bins: &mut Bins) {
        for (bin, (s, q)) in bins
            .sums
            .iter_mut()
            .zip(bins.squares.iter_mut())
            .enumerate()
        {
            // Most bins are empty: read before writing.
            if *s != 0 {
                // significand · 2^(bin − 1075) · 2^1074
                self.sum
                    .add_shifted(s.unsigned_abs(), *s < 0, bin as u32 - 1);
                *s = 0;
            }
            if *q != 0 {
                // significand² · 2^(2·bin − 2150) · 2^2148
                self.squares.add_shifted(*q, false, 2 * bin as u32 - 2);
                *q = 0;
            }
        }
    }

    /// Adds everything `other` summarises.
    pub fn merge(&mut self, other: &Moments) {
        self.sum.add(&other.sum);
        self.squares.add(&other.squares);
    }

    /// Mean of `count` values, correctly rounded; NaN without values.
    pub fn mean(&self, count: u64) -> f64 {
        if count == 0 {
            return f64::NAN;
        }
        let n = BigInt::from(count);
        ratio_to_f64(&self.sum.to_bigint(), &n, -1074)
    }

    /// `n·Σx² − (Σx)²`, scaled by 2^2148: never negative, exact.
    fn scaled_spread(&self, count: u64) -> BigInt {
        let sum = self.sum.to_bigint();
        BigInt::from(count) * self.squares.to_bigint() - &sum * &sum
    }

    /// Standard deviation of `count` values with `ddof` degrees of freedom removed (0: population,
    /// 1: sample), from the exact sums: `sqrt((n·Σx² − (Σx)²) / (n·(n − ddof)))`. Finite whenever
    /// the values are, however large. NaN when `count <= ddof`.
    pub fn std(&self, count: u64, ddof: u64) -> f64 {
        if count <= ddof {
            return f64::NAN;
        }
        let spread = self.scaled_spread(count);
        let denominator = BigInt::from(count) * BigInt::from(count - ddof);
        sqrt_ratio_to_f64(&spread, &denominator, -1074)
    }

    /// Sum of squared deviations from the mean (`M2`), rounded once; may be infinite for values
    /// near the largest double, where only the standard deviation is representable.
    pub fn m2(&self, count: u64) -> f64 {
        if count == 0 {
            return 0.0;
        }
        ratio_to_f64(&self.scaled_spread(count), &BigInt::from(count), -2148)
    }

    /// The canonical bytes of the two sums (for the profile format).
    pub(crate) fn to_parts(&self) -> (Vec<u8>, Vec<u8>) {
        (self.sum.to_trimmed_bytes(), self.squares.to_trimmed_bytes())
    }

    /// Reads [`Moments::to_parts`]; `None` when a sum does not fit or the sum of squares is
    /// negative.
    pub(crate) fn from_parts(sum: &[u8], squares: &[u8]) -> Option<Moments> {
        let m = Moments {
            sum: Box::new(Wide::from_trimmed_bytes(sum)?),
            squares: Box::new(Wide::from_trimmed_bytes(squares)?),
        };
        (!m.squares.is_negative()).then_some(m)
    }
}

/// `num / den · 2^exp2` rounded to the nearest double (ties to even; results in the subnormal
/// range may be rounded twice). `den > 0`.
fn ratio_to_f64(num: &BigInt, den: &BigInt, exp2: i64) -> f64 {
    let negative = num.sign() == Sign::Minus;
    let (num, den) = (num.magnitude(), den.magnitude());
    if num.bits() == 0 {
        return 0.0;
    }
    // Scale the numerator so that the quotient has at least 66 significant bits.
    let k = (66 + den.bits() as i64 - num.bits() as i64).max(0);
    let scaled = num << k as u64;
    let (q, r) = (&scaled / den, &scaled % den);
    let v = round_to_f64(&q, r.bits() != 0, exp2 - k);
    if negative { -v } else { v }
}

/// `sqrt(num / den) · 2^exp2` rounded to the nearest double. `num >= 0`, `den > 0`.
fn sqrt_ratio_to_f64(num: &BigInt, den: &BigInt, exp2: i64) -> f64 {
    let (num, den) = (num.magnitude(), den.magnitude());
    if num.bits() == 0 {
        return 0.0;
    }
    // sqrt(num / den) = sqrt(num · 2^(2k) / den) · 2^-k, with an integer root of 66 bits or more.
    let k = ((132 + den.bits() as i64 - num.bits() as i64) / 2 + 1).max(0);
    let scaled = num << (2 * k) as u64;
    let (q, r) = (&scaled / den, &scaled % den);
    let root = q.sqrt();
    let inexact = r.bits() != 0 || &root * &root != q;
    round_to_f64(&root, inexact, exp2 - k)
}

/// `x · 2^exp2` as a double, with `sticky` saying that bits below `x` were dropped.
fn round_to_f64(x: &BigUint, sticky: bool, exp2: i64) -> f64 {
    let bits = x.bits() as i64;
    let drop = (bits - 64).max(0);
    let top = x >> drop as u64;
    let mut top = top.iter_u64_digits().next().unwrap_or(0);
    let lost = sticky || (drop > 0 && x.trailing_zeros().is_some_and(|z| (z as i64) < drop));
    // A set lowest bit stands for everything dropped, so that the one rounding to 53 bits below
    // is correct (64 bits hold 11 more than a double).
    top |= u64::from(lost);
    scale(top as f64, drop + exp2)
}

/// `x · 2^e` without intermediate overflow or early underflow.
fn scale(mut x: f64, mut e: i64) -> f64 {
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
        if x.is_infinite() {
            return x;
        }
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
        if x == 0.0 {
            return x;
        }
    }
    x * 2f64.powi(e as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: &[f64]) -> Moments {
        let mut m = Moments::default();
        m.add(values);
        m
    }

    #[test]
    fn matches_numpy_on_small_sets() {
        // numpy.mean([1, 4, 7]) == 4.0; numpy.std([1, 4, 7]) == 2.449489742783178; ddof=1: 3.0
        let m = of(&[1.0, 4.0, 7.0]);
        assert_eq!(m.mean(3), 4.0);
        assert_eq!(m.std(3, 0), 2.449489742783178);
        assert_eq!(m.std(3, 1), 3.0);
        assert_eq!(m.m2(3), 18.0);
        // numpy.mean([0.1, 0.2, 0.3]) == 0.20000000000000004 (rounded sums); exactly it is the
        // double nearest to (0.1 + 0.2 + 0.3 as stored) / 3.
        let m = of(&[0.1, 0.2, 0.3]);
        assert_eq!(m.mean(3), 0.2);
        let m = of(&[-2.5, 2.5]);
        assert_eq!((m.mean(2), m.std(2, 0)), (0.0, 2.5));
    }

    #[test]
    fn huge_finite_values_give_a_finite_standard_deviation() {
        let big = f64::MAX;
        let m = of(&[big, -big, big, -big]);
        assert_eq!(m.mean(4), 0.0);
        assert_eq!(m.std(4, 0), big);
        let m = of(&[1.0, 2.0, 1e300, 3.0]);
        let std = m.std(4, 0);
        assert!(
            std.is_finite() && (std / 4.330127018922193e299 - 1.0).abs() < 1e-15,
            "{std}"
        );
        // Tiny and subnormal values are exact too.
        let tiny = f64::from_bits(1);
        let m = of(&[tiny, tiny, 3.0 * tiny]);
        assert_eq!(m.mean(3), 5f64 * tiny / 3.0);
    }

    #[test]
    fn large_mean_and_small_spread_lose_nothing() {
        // 1e9 + {0, 1, 2}: the population std is sqrt(2/3) exactly as numpy computes it.
        let m = of(&[1e9, 1e9 + 1.0, 1e9 + 2.0]);
        assert_eq!(m.mean(3), 1e9 + 1.0);
        assert_eq!(m.std(3, 0), (2.0f64 / 3.0).sqrt());
    }

    #[test]
    fn order_and_chunking_do_not_change_anything() {
        let values: Vec<f64> = (0..10_000)
            .map(|i| {
                ((i * 7919) % 10_007) as f64 * 1.37e-3 - 3.0 + if i % 97 == 0 { 1e15 } else { 0.0 }
            })
            .collect();
        let whole = of(&values);
        let mut reversed: Vec<f64> = values.clone();
        reversed.reverse();
        let mut parts = Moments::default();
        for c in reversed.chunks(333) {
            parts.merge(&of(c));
        }
        assert_eq!(whole, parts);
        let (s, q) = whole.to_parts();
        assert_eq!(Moments::from_parts(&s, &q), Some(whole));
    }
}
