//! The binary profile format: magic bytes, a format version, the length of the decoded payload,
//! then the payload compressed with zstd.
//!
//! The payload is the **statistics** section (its length first), then the **provenance**
//! section (see the profile module docs). Both are written field by field in a fixed order
//! (little-endian integers, floats as their IEEE-754 bits, strings as length + UTF-8, exact sums
//! as minimal two's complement bytes), so the same profile always gives the same bytes and every
//! float reads back bit for bit; the statistics section alone is
//! [`super::Profile::statistics_bytes`]. Reading checks every length against what is left, so a
//! truncated or corrupt file is an error, never a panic or a huge allocation.
//!
//! Decoding never trusts a size it reads: the payload is inflated through a bounded reader, up to
//! the length the header declares and never past [`MAX_DECODED_BYTES`], growing its buffer only
//! as bytes actually arrive (and failing with an error, not an abort, when memory runs out), so a
//! small file that inflates to gigabytes is refused after reading no more than the limit.
//!
//! Version 5 (this one) declares the decoded length in the header, and each numeric column
//! carries the values it counted outside a reference's range
//! ([`super::numeric::OutsideRange`]: a flag, then the range and the two counts). Older versions
//! are rejected with the message to profile the data again: a cached baseline of an older version
//! is then profiled again and replaced (`pipeline::baseline`), a user's saved profile is an
//! error that says so.

use std::collections::BTreeMap;

use super::moments::Moments;
use super::numeric::{NumericProfile, OutsideRange};
use super::sample::{DistinctSample, SampleColumn};
use super::sketch::{SketchParts, ValueSketch};
use super::text::TextProfile;
use super::{ColumnProfile, ColumnStats, Profile, ProfileError};
use crate::data::FileInfo;

/// First bytes of every profile file.
pub const MAGIC: &[u8; 8] = b"DSPROFIL";

/// Version of the file layout this build writes; bumped on any change.
pub const FORMAT_VERSION: u32 = 5;

/// Bytes before the compressed payload: magic, version, decoded length.
const HEADER_LEN: usize = 20;

/// The largest payload a profile may decode to: 1 GiB.
///
/// A profile's size is set by its budgets, not by its rows: per numeric column at most a
/// 32,768-bucket sketch (512 KB) and the 100,000-row sample's values (800 KB), per text column
/// 10,000 categories. The profile of 200 continuous numeric columns (the most features a detector
/// compares) of 150,000 rows, every budget full, decodes to 250 MB (measured); typical profiles
/// take a few MB. So the limit leaves four times the largest real profile, while a hostile file
/// (a few KB that inflate to gigabytes) is refused after 1 GiB at most. The row sample drawn from
/// a profile ([`super::sample::RowSample`]) is bounded by the same limit.
pub const MAX_DECODED_BYTES: u64 = 1 << 30;

/// The largest row-sample capacity read from a profile: ten times the default. Larger would only
/// come from a damaged file, and a capacity drives how many rows are drawn from the sample.
const MAX_SAMPLE_CAPACITY: u64 = 10 * super::DEFAULT_SAMPLE_CAPACITY as u64;

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
                match n.outside {
                    None => w.u8(0),
                    Some(o) => {
                        w.u8(1);
                        w.f64(o.lo);
                        w.f64(o.hi);
                        w.u64(o.below);
                        w.u64(o.above);
                    }
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
    let mut out = Vec::with_capacity(HEADER_LEN + compressed.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(w.0.len() as u64).to_le_bytes());
    out.extend_from_slice(&compressed);
    out
}

/// The decoded payload of a profile file, read within the sizes allowed (see the module docs).
fn payload(bytes: &[u8]) -> Result<Vec<u8>, ProfileError> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(ProfileError::NotAProfile);
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    let (declared, compressed) = match version {
        FORMAT_VERSION => {
            let Some(length) = bytes.get(12..HEADER_LEN) else {
                return Err(corrupt("the header is truncated"));
            };
            let mut a = [0u8; 8];
            a.copy_from_slice(length);
            (Some(u64::from_le_bytes(a)), &bytes[HEADER_LEN..])
        }
        found => {
            return Err(ProfileError::Version {
                found,
                expected: FORMAT_VERSION,
            });
        }
    };
    if let Some(size) = declared.filter(|&d| d > MAX_DECODED_BYTES) {
        return Err(ProfileError::TooLarge {
            size,
            limit: MAX_DECODED_BYTES,
        });
    }
    let limit = declared.unwrap_or(MAX_DECODED_BYTES);
    let inflated = inflate(compressed, limit)?;
    match declared {
        _ if inflated.len() as u64 <= limit => {}
        Some(d) => {
            return Err(ProfileError::Corrupt(format!(
                "the payload decodes to more than the {d} bytes its header declares"
            )));
        }
        None => {
            return Err(ProfileError::TooLarge {
                size: inflated.len() as u64,
                limit: MAX_DECODED_BYTES,
            });
        }
    }
    if let Some(d) = declared.filter(|&d| d != inflated.len() as u64) {
        return Err(ProfileError::Corrupt(format!(
            "the payload decodes to {} bytes, its header declares {d}",
            inflated.len()
        )));
    }
    Ok(inflated)
}

/// Inflates a zstd stream to at most `limit + 1` bytes (one more than allowed tells a stream that
/// goes on from one that ends at the limit). The buffer doubles as bytes arrive, never past
/// `limit + 1`, by fallible reservations: a declared size is never allocated up front, and memory
/// running out is an error, not an abort.
fn inflate(compressed: &[u8], limit: u64) -> Result<Vec<u8>, ProfileError> {
    use std::io::Read;
    let cannot = |e: std::io::Error| ProfileError::Corrupt(format!("cannot decompress: {e}"));
    let most = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    let mut reader = zstd::stream::read::Decoder::with_buffer(compressed)
        .map_err(cannot)?
        .take(most as u64);
    let mut out: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 128 << 10];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(cannot(e)),
        };
        if out.capacity() - out.len() < n {
            let grow = out.capacity().max(1 << 20).min(most - out.len()).max(n);
            out.try_reserve_exact(grow).map_err(|_| {
                ProfileError::Corrupt(format!(
                    "not enough memory to decode the payload past {} bytes",
                    out.len()
                ))
            })?;
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

/// Decodes what [`encode`] wrote.
pub fn decode(bytes: &[u8]) -> Result<Profile, ProfileError> {
    let payload = payload(bytes)?;
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
    let outside = match r.u8()? {
        0 => None,
        1 => {
            let (lo, hi, below, above) = (r.f64()?, r.f64()?, r.u64()?, r.u64()?);
            if below.checked_add(above).is_none_or(|n| n > count) {
                return Err(ProfileError::Corrupt(format!(
                    "column `{name}`: more values outside the reference range than values"
                )));
            }
            Some(OutsideRange {
                lo,
                hi,
                below,
                above,
            })
        }
        t => {
            return Err(ProfileError::Corrupt(format!(
                "column `{name}`: unknown range tag {t}"
            )));
        }
    };
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
        outside,
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
    let capacity = r.u64()?;
    if capacity > MAX_SAMPLE_CAPACITY {
        return Err(ProfileError::Corrupt(format!(
            "row sample capacity {capacity} is above the largest read, {MAX_SAMPLE_CAPACITY}"
        )));
    }
    let capacity = capacity as usize;
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
    check_drawn_rows(&sample)?;
    Ok(sample)
}

/// Refuses a sample whose drawn rows ([`DistinctSample::rows`]: a distinct row occurring often is
/// drawn several times, up to the capacity) would take more than [`MAX_DECODED_BYTES`]: counts and
/// capacity come from the file, so this is what bounds the memory of drawing them.
fn check_drawn_rows(sample: &DistinctSample) -> Result<(), ProfileError> {
    let total: u128 = sample.counts.iter().map(|&c| c as u128).sum();
    let rows = total.min(sample.capacity.max(1) as u128);
    // Per drawn row: each column's value, its priority and its place in the draw order.
    let bytes = rows.saturating_mul(8 * (sample.columns.len() as u128 + 3));
    if bytes > MAX_DECODED_BYTES as u128 {
        return Err(ProfileError::TooLarge {
            size: u64::try_from(bytes).unwrap_or(u64::MAX),
            limit: MAX_DECODED_BYTES,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Input;
    use crate::profile::{ProfileOptions, build};

    fn profile(csv: &str) -> Profile {
        let input = Input::Memory {
            name: "a.csv".into(),
            bytes: bytes::Bytes::copy_from_slice(csv.as_bytes()),
        };
        build(&[input], &ProfileOptions::default()).unwrap()
    }

    fn small() -> Vec<u8> {
        encode(&profile("x,c\n1,a\n2,b\n,a\nnan,\n5.5,b\n"))
    }

    /// A version 4 file: `bytes`' header with `declared` as the decoded length, then `stream`.
    fn with_stream(declared: u64, stream: &[u8]) -> Vec<u8> {
        let mut out = small()[..12].to_vec();
        out.extend_from_slice(&declared.to_le_bytes());
        out.extend_from_slice(stream);
        out
    }

    fn payload_of(bytes: &[u8]) -> Vec<u8> {
        zstd::stream::decode_all(&bytes[HEADER_LEN..]).unwrap()
    }

    #[test]
    fn the_header_declares_the_decoded_length() {
        let bytes = small();
        let declared = u64::from_le_bytes(bytes[12..20].try_into().unwrap());
        assert_eq!(declared, payload_of(&bytes).len() as u64);
        assert_eq!(encode(&decode(&bytes).unwrap()), bytes);
    }

    #[test]
    fn older_versions_are_refused_with_the_advice_to_profile_again() {
        let bytes = small();
        for version in [3u32, 4] {
            let mut old = bytes[..8].to_vec();
            old.extend_from_slice(&version.to_le_bytes());
            old.extend_from_slice(&bytes[12..]);
            let e = decode(&old).unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "profile format version {version} is not supported (this driftscan reads version {FORMAT_VERSION}); profile the data again"
                )
            );
        }
    }

    #[test]
    fn counts_outside_a_reference_range_round_trip() {
        let reference = profile("x,c\n1,a\n2,b\n3,a\n");
        let options = super::super::ProfileOptions::against(&reference);
        let input = crate::data::Input::Memory {
            name: "t.csv".into(),
            bytes: bytes::Bytes::from_static(b"x,c\n0.5,a\n2,b\n7,c\n9,\n,a\n"),
        };
        let target = super::super::build(&[input], &options).unwrap();
        let outside = target.numeric("x").unwrap().outside.unwrap();
        assert_eq!(
            (outside.lo, outside.hi, outside.below, outside.above),
            (1.0, 3.0, 1, 2)
        );
        let bytes = encode(&target);
        let back = decode(&bytes).unwrap();
        assert_eq!(back.numeric("x").unwrap().outside, Some(outside));
        assert_eq!(encode(&back), bytes);
        // More values outside than values: a damaged file.
        let mut damaged = target.clone();
        if let ColumnStats::Numeric(n) = &mut damaged.columns[0].stats {
            n.outside.as_mut().unwrap().above = 99;
        }
        let e = decode(&encode(&damaged)).unwrap_err().to_string();
        assert!(e.contains("outside the reference range"), "{e}");
    }

    #[test]
    fn a_stream_longer_or_shorter_than_declared_is_refused() {
        let bytes = small();
        let mut payload = payload_of(&bytes);
        let length = payload.len() as u64;
        // 64 MB of zeros after the payload: refused once the declared length is passed.
        payload.resize(payload.len() + (64 << 20), 0);
        let longer = with_stream(length, &zstd::bulk::compress(&payload, 1).unwrap());
        let e = decode(&longer).unwrap_err().to_string();
        assert!(
            e.contains(&format!("more than the {length} bytes its header declares")),
            "{e}"
        );
        let shorter = with_stream(length + 1, &bytes[HEADER_LEN..]);
        let e = decode(&shorter).unwrap_err().to_string();
        assert!(e.contains("its header declares"), "{e}");
    }

    #[test]
    fn a_declared_length_above_the_limit_is_refused_before_decoding() {
        let bytes = with_stream(MAX_DECODED_BYTES + 1, &small()[HEADER_LEN..]);
        match decode(&bytes) {
            Err(ProfileError::TooLarge { size, limit }) => {
                assert_eq!((size, limit), (MAX_DECODED_BYTES + 1, MAX_DECODED_BYTES));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn inflating_stops_one_byte_past_the_limit() {
        let zeros = zstd::bulk::compress(&vec![0u8; 8 << 20], 1).unwrap();
        assert_eq!(inflate(&zeros, 1000).unwrap().len(), 1001);
        assert_eq!(inflate(&zeros, 8 << 20).unwrap().len(), 8 << 20);
        assert!(inflate(b"not zstd", 1000).is_err());
    }

    #[test]
    fn a_sample_that_would_draw_too_many_rows_is_refused() {
        let header: Vec<String> = (0..200).map(|i| format!("c{i}")).collect();
        let row: Vec<String> = (0..200).map(|i| i.to_string()).collect();
        let mut p = profile(&format!("{}\n{}\n", header.join(","), row.join(",")));
        // One distinct row said to occur 2^62 times, in a sample of the largest capacity read:
        // drawing it would make a million rows of 200 columns.
        p.distinct_sample.counts[0] = 1 << 62;
        p.distinct_sample.capacity = MAX_SAMPLE_CAPACITY as usize;
        assert!(matches!(
            decode(&encode(&p)),
            Err(ProfileError::TooLarge { .. })
        ));
        p.distinct_sample.capacity = MAX_SAMPLE_CAPACITY as usize + 1;
        let e = decode(&encode(&p)).unwrap_err().to_string();
        assert!(e.contains("row sample capacity"), "{e}");
    }

    #[test]
    fn damaged_profiles_are_errors_never_panics() {
        let bytes = small();
        let payload = payload_of(&bytes);
        let mut rng = crate::base::rng::SplitMix64::new(7);
        for k in 0..3000 {
            // Flip bits of the file (header and compressed stream), or of the payload itself
            // (recompressed, so the damage reaches the field readers).
            let damaged = if k % 2 == 0 {
                let mut b = bytes.clone();
                for _ in 0..=rng.below(4) {
                    let at = rng.below(b.len());
                    b[at] ^= 1 << rng.below(8);
                }
                b
            } else {
                let mut p = payload.clone();
                for _ in 0..=rng.below(4) {
                    let at = rng.below(p.len());
                    p[at] ^= 1 << rng.below(8);
                }
                p.truncate(p.len() - rng.below(4));
                with_stream(p.len() as u64, &zstd::bulk::compress(&p, 1).unwrap())
            };
            let _ = decode(&damaged);
        }
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err());
        }
    }
}
