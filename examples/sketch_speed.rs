//! Times ValueSketch on 20 million values (development aid).
use driftscan::profile::sketch::ValueSketch;
use std::time::Instant;

fn main() {
    let n = 20_000_000usize;
    let mut x: u64 = 88172645463325252;
    let vals: Vec<f64> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 11) as f64 / (1u64 << 53) as f64 * 8.0 - 4.0).powi(3)
        })
        .collect();
    let t = Instant::now();
    let mut s = ValueSketch::default();
    for &v in &vals {
        s.insert(v);
    }
    s.flush();
    let shift = 40u32;
    let mut keys: Vec<u64> = vals
        .iter()
        .map(|&v| driftscan::profile::sketch::value_to_key(v) >> shift)
        .collect();
    let t2 = Instant::now();
    for chunk in keys.chunks_mut(1 << 15) {
        radsort::sort(chunk);
    }
    println!(
        "radsort only: {:.1} ns/value",
        t2.elapsed().as_nanos() as f64 / n as f64
    );
    let mut keys32: Vec<u32> = vals
        .iter()
        .map(|&v| (driftscan::profile::sketch::value_to_key(v) >> shift) as u32)
        .collect();
    let t3 = Instant::now();
    for chunk in keys32.chunks_mut(1 << 15) {
        radsort::sort(chunk);
    }
    println!(
        "radsort u32: {:.1} ns/value",
        t3.elapsed().as_nanos() as f64 / n as f64
    );
    let t4 = Instant::now();
    for chunk in keys.chunks_mut(1 << 15) {
        chunk.sort_unstable();
    }
    println!(
        "sort_unstable (sorted input): {:.1} ns/value",
        t4.elapsed().as_nanos() as f64 / n as f64
    );
    // As profiling uses it: a fresh sketch per 35,000-value chunk, merged into one.
    let t5 = Instant::now();
    let mut acc = ValueSketch::default();
    for chunk in vals.chunks(35_000) {
        let mut s = ValueSketch::default();
        chunk.iter().for_each(|&v| s.insert(v));
        s.flush();
        acc.merge(&s);
    }
    println!(
        "per-chunk sketches + merge: {:.1} ns/value",
        t5.elapsed().as_nanos() as f64 / n as f64
    );
    println!(
        "insert+flush: {:?} ({:.1} ns/value), buckets {}",
        t.elapsed(),
        t.elapsed().as_nanos() as f64 / n as f64,
        s.distinct_lower_bound()
    );
}

#[allow(dead_code)]
fn parts() {}
