//! The binary profile format: magic bytes, a format version, then a zstd-compressed payload.
//!
//! The payload is the **statistics** section (its length first), then the **provenance**
//! section (see the profile module docs). Both are written field by field in a fixed order
//! (little-endian integers, floats as their IEEE-754 bits, strings as length + UTF-8, exact sums
//! as minimal two's complement bytes), so the same profile always gives the same bytes and every
//! float reads back bit for bit; the statistics section alone is
//! [`super::Profile::statistics_bytes`]. Reading checks every length against what is left, so a
//! truncated or corrupt file is an error, never a panic or a huge allocation.
//!
//! Version 3 (this one) keeps exact moments, the row sample as distinct rows with counts, and the
//! two sections apart; version 2 profiles are rejected with the message to profile the data again.

use std::collections::BTreeMap;

use super::moments::Moments;
use super::numeric::NumericProfile;
use super::sample::{DistinctSample, SampleColumn};
use super::sketch::{SketchParts, ValueSketch};
use super::text::TextProfile;
use super::{ColumnProfile, ColumnStats, Profile, ProfileError};
use crate::data::FileInfo;

/// First bytes of every profile file.
pub const MAGIC: &[u8; 8] = b"DSPROFIL";

/// Version of the payload layout; bumped on any change, older versions are rejected.
pub const FORMAT_VERSION: u32 = 3;

/// Fast level: most of a profile is the row sample's floats, which barely compress anyway.
const ZSTD_LEVEL: i32 = 1;

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.0.extend_from_slice(b);
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn corrupt(what: &str) -> ProfileError {
    ProfileError::Corrupt(what.to_string())
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], ProfileError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| corrupt("payload is truncated"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, ProfileError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, ProfileError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, ProfileError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn f64(&mut self) -> Result<f64, ProfileError> {
        Ok(f64::from_bits(self.u64()?))
    }
    /// A count of items of at least `item_size` bytes each, checked against what is left.
    fn len(&mut self, item_size: usize) -> Result<usize, ProfileError> {
        let n = self.u64()?;
        let left = (self.buf.len() - self.pos) as u64;
        if n.saturating_mul(item_size.max(1) as u64) > left {
            return Err(corrupt("a length exceeds the payload"));
        }
        Ok(n as usize)
    }
    fn str(&mut self) -> Result<String, ProfileError> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| corrupt("a string is not UTF-8"))
    }
    fn bytes(&mut self) -> Result<&[u8], ProfileError> {
        let n = self.len(1)?;
        self.take(n)
    }
}

/// The statistics section (see the module docs).
pub fn encode_statistics(p: &Profile) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    write_statistics(&mut w, p);
    w.0
}

/// Appends the statistics section to `w`.
fn write_statistics(w: &mut Writer, p: &Profile) {
    w.u64(p.rows);
    w.u64(p.seed);
    w.len(p.columns.len());
    for c in &p.columns {
        w.str(&c.name);
        match &c.stats {
            ColumnStats::Numeric(n) => {
                w.u8(0);
                for v in [n.rows, n.missing, n.invalid, n.non_finite, n.count] {
                    w.u64(v);
                }
                w.f64(n.min);
                w.f64(n.max);
                let (sum, squares) = n.moments.to_parts();
                w.bytes(&sum);
                w.bytes(&squares);
                let s = n.sketch.to_parts();
                w.u64(s.max_buckets);
                w.u32(s.shift);
                w.u64(s.count);
                w.f64(s.min);
                w.f64(s.max);
                w.len(s.buckets.len());
                for (k, c) in s.buckets {
                    w.u64(k);
                    w.u64(c);
                }
            }
            ColumnStats::Text(t) => {
                w.u8(1);
                w.u64(t.rows);
                w.u64(t.missing);
                w.u64(t.other);
                w.u8(t.overflowed as u8);
                w.len(t.cap);
                w.len(t.counts.len());
                for (k, c) in &t.counts {
                    w.str(k);
                    w.u64(*c);
                }
                w.len(t.kmv.len());
                for &h in &t.kmv {
                    w.u64(h);
                }
            }
        }
    }
    w.len(p.excluded.len());
    for (n, r) in &p.excluded {
        w.str(n);
        w.str(r);
    }
    let s = &p.distinct_sample;
    w.len(s.capacity);
    w.len(s.priorities.len());
    for (&pr, &c) in s.priorities.iter().zip(&s.counts) {
        w.u64(pr);
        w.u64(c);
    }
    w.len(s.columns.len());
    for (name, col) in s.names.iter().zip(&s.columns) {
        w.str(name);
        match col {
            SampleColumn::Numeric(v) => {
                w.u8(0);
                for &x in v {
                    w.f64(x);
                }
            }
            SampleColumn::Categorical { codes, dictionary } => {
                w.u8(1);
                w.len(dictionary.len());
                for d in dictionary {
                    w.str(d);
                }
                for &c in codes {
                    w.u32(c);
                }
            }
        }
    }
}

/// Encodes a profile (see the module docs).
pub fn encode(p: &Profile) -> Vec<u8> {
    // The statistics section with its length in front, written in place (it is most of a
    // profile: no second copy).
    let mut w = Writer(Vec::new());
    w.u64(0);
    write_statistics(&mut w, p);
    let length = (w.0.len() - 8) as u64;
    w.0[..8].copy_from_slice(&length.to_le_bytes());
    w.str(&p.source);
    w.str(&p.content_hash);
    w.len(p.files.len());
    for f in &p.files {
        w.str(&f.name);
        w.u64(f.bytes);
        w.u64(f.rows);
    }
    w.len(p.warnings.len());
    for s in &p.warnings {
        w.str(s);
    }
    let compressed = zstd::bulk::compress(&w.0, ZSTD_LEVEL).unwrap_or_else(|_| {
        // Compression of an in-memory buffer only fails on allocation failure; keep the bytes
        // readable anyway by storing them as a raw zstd frame of the uncompressed data.
        zstd::bulk::compress(&w.0, 1).unwrap_or_default()
    });
    let mut out = Vec::with_capacity(12 + compressed.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&compressed);
    out
}

/// Decodes what [`encode`] wrote.
pub fn decode(bytes: &[u8]) -> Result<Profile, ProfileError> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(ProfileError::NotAProfile);
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != FORMAT_VERSION {
        return Err(ProfileError::Version {
            found: version,
            expected: FORMAT_VERSION,
        });
    }
    let payload = zstd::stream::decode_all(&bytes[12..])
        .map_err(|e| ProfileError::Corrupt(format!("cannot decompress: {e}")))?;
    let mut outer = Reader {
        buf: &payload,
        pos: 0,
    };
    let statistics = outer.bytes()?;
    let mut r = Reader {
        buf: statistics,
        pos: 0,
    };
    let rows = r.u64()?;
    let seed = r.u64()?;
    let mut columns = Vec::new();
    for _ in 0..r.len(9)? {
        let name = r.str()?;
        let stats = match r.u8()? {
            0 => ColumnStats::Numeric(numeric(&mut r, &name)?),
            1 => ColumnStats::Text(text(&mut r, &name)?),
            t => return Err(ProfileError::Corrupt(format!("unknown column tag {t}"))),
        };
        columns.push(ColumnProfile { name, stats });
    }
    let mut excluded = Vec::new();
    for _ in 0..r.len(16)? {
        excluded.push((r.str()?, r.str()?));
    }
    let distinct_sample = distinct_sample(&mut r)?;
    if r.pos != statistics.len() {
        return Err(corrupt("trailing bytes after the statistics"));
    }
    let mut r = outer;
    let source = r.str()?;
    let content_hash = r.str()?;
    let mut files = Vec::new();
    for _ in 0..r.len(24)? {
        files.push(FileInfo {
            name: r.str()?,
            bytes: r.u64()?,
            rows: r.u64()?,
        });
    }
    let mut warnings = Vec::new();
    for _ in 0..r.len(8)? {
        warnings.push(r.str()?);
    }
    if r.pos != payload.len() {
        return Err(corrupt("trailing bytes after the payload"));
    }
    Ok(Profile {
        source,
        content_hash,
        rows,
        seed,
        files,
        excluded,
        warnings,
        columns,
        sample: distinct_sample.rows(),
        distinct_sample,
    })
}

fn numeric(r: &mut Reader, name: &str) -> Result<NumericProfile, ProfileError> {
    let (rows, missing, invalid, non_finite, count) =
        (r.u64()?, r.u64()?, r.u64()?, r.u64()?, r.u64()?);
    let (min, max) = (r.f64()?, r.f64()?);
    let sum = r.bytes()?.to_vec();
    let squares = r.bytes()?;
    let moments = Moments::from_parts(&sum, squares)
        .ok_or_else(|| ProfileError::Corrupt(format!("column `{name}`: moments out of range")))?;
    let max_buckets = r.u64()?;
    let shift = r.u32()?;
    let s_count = r.u64()?;
    let (s_min, s_max) = (r.f64()?, r.f64()?);
    let n = r.len(16)?;
    let mut buckets = Vec::with_capacity(n);
    for _ in 0..n {
        buckets.push((r.u64()?, r.u64()?));
    }
    let sketch = ValueSketch::from_parts(SketchParts {
        max_buckets,
        shift,
        buckets,
        count: s_count,
        min: s_min,
        max: s_max,
    })
    .map_err(|e| ProfileError::Corrupt(format!("column `{name}`: {e}")))?;
    let total = [missing, invalid, non_finite, count]
        .iter()
        .try_fold(0u64, |a, &b| a.checked_add(b));
    if s_count != count || total != Some(rows) {
        return Err(ProfileError::Corrupt(format!(
            "column `{name}`: counts do not add up"
        )));
    }
    Ok(NumericProfile {
        rows,
        missing,
        invalid,
        non_finite,
        count,
        moments,
        min,
        max,
        sketch,
    })
}

fn text(r: &mut Reader, name: &str) -> Result<TextProfile, ProfileError> {
    let (rows, missing, other) = (r.u64()?, r.u64()?, r.u64()?);
    let overflowed = r.u8()? != 0;
    let cap = r.u64()? as usize;
    let mut counts = BTreeMap::new();
    for _ in 0..r.len(16)? {
        let k = r.str()?;
        counts.insert(k, r.u64()?);
    }
    let mut kmv = Vec::new();
    for _ in 0..r.len(8)? {
        kmv.push(r.u64()?);
    }
    if kmv.len() > super::text::KMV_SIZE || kmv.windows(2).any(|w| w[0] >= w[1]) {
        return Err(ProfileError::Corrupt(format!(
            "column `{name}`: distinct-count sketch out of order"
        )));
    }
    Ok(TextProfile {
        rows,
        missing,
        counts,
        other,
        overflowed,
        cap: cap.max(1),
        kmv,
    })
}

fn distinct_sample(r: &mut Reader) -> Result<DistinctSample, ProfileError> {
    let capacity = r.u64()? as usize;
    let n = r.len(16)?;
    let mut priorities = Vec::with_capacity(n);
    let mut counts = Vec::with_capacity(n);
    for _ in 0..n {
        priorities.push(r.u64()?);
        counts.push(r.u64()?);
    }
    let mut names = Vec::new();
    let mut columns = Vec::new();
    for _ in 0..r.len(9)? {
        names.push(r.str()?);
        columns.push(match r.u8()? {
            0 => {
                let b = r.take(
                    n.checked_mul(8)
                        .ok_or_else(|| corrupt("sample too large"))?,
                )?;
                SampleColumn::Numeric(
                    b.chunks_exact(8)
                        .map(|c| {
                            let mut a = [0u8; 8];
                            a.copy_from_slice(c);
                            f64::from_bits(u64::from_le_bytes(a))
                        })
                        .collect(),
                )
            }
            1 => {
                let mut dictionary = Vec::new();
                for _ in 0..r.len(8)? {
                    dictionary.push(r.str()?);
                }
                let b = r.take(
                    n.checked_mul(4)
                        .ok_or_else(|| corrupt("sample too large"))?,
                )?;
                let codes: Vec<u32> = b
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                if codes
                    .iter()
                    .any(|&c| c != super::sample::MISSING_CODE && c as usize >= dictionary.len())
                {
                    return Err(corrupt("a sample category code is out of range"));
                }
                SampleColumn::Categorical { codes, dictionary }
            }
            t => {
                return Err(ProfileError::Corrupt(format!(
                    "unknown sample column tag {t}"
                )));
            }
        });
    }
    let sample = DistinctSample {
        capacity,
        priorities,
        counts,
        names,
        columns,
    };
    sample.validate().map_err(ProfileError::Corrupt)?;
    Ok(sample)
}
