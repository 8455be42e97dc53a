//! Hashes: fast 64-bit mixers, and the content hash of a dataset.

use sha2::{Digest, Sha256};

/// The splitmix64 finaliser: a fast bijective mixer whose output bits all depend on all input
/// bits, which is what a bottom-k priority needs (any correlation with row order would bias a
/// sample).
#[inline]
pub fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// FNV-1a over `bytes`, finished with [`mix64`]: a well-mixed 64-bit hash of a short string.
#[inline]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix64(h)
}

/// The content hash of a dataset, the key under which its profile is cached.
///
/// **Definition.** Hex SHA-256 over, for each file of the dataset in order: the length of its
/// file name (the last path segment, u64 little-endian), the file name, its size in bytes (u64
/// little-endian) and the SHA-256 of its bytes as stored (compressed files are hashed
/// compressed). The folder a file sits in does not count, so the same file read through another
/// path, from another folder or from Blob Storage hashes the same.
///
/// Feed it file by file: [`ContentHasher::add_file`] with a finished per-file digest, or
/// [`ContentHasher::file`] to stream one file's bytes through.
#[derive(Debug, Clone, Default)]
pub struct ContentHasher {
    dataset: Sha256,
}

/// Streams one file's bytes; [`FileHasher::finish`] adds it to its dataset.
#[derive(Debug, Clone)]
pub struct FileHasher {
    name: String,
    size: u64,
    bytes: Sha256,
}

impl FileHasher {
    /// A file about to be read; `name` may be a whole path or key (only its last segment counts).
    pub fn new(name: &str) -> Self {
        FileHasher {
            name: last_segment(name).to_string(),
            size: 0,
            bytes: Sha256::new(),
        }
    }

    /// The next bytes of the file.
    pub fn update(&mut self, bytes: &[u8]) {
        self.size += bytes.len() as u64;
        self.bytes.update(bytes);
    }

    /// The file's SHA-256 and size, for [`ContentHasher::add_file`].
    pub fn finish(self) -> ([u8; 32], u64, String) {
        (self.bytes.finalize().into(), self.size, self.name)
    }
}

impl ContentHasher {
    /// An empty dataset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file whose bytes were hashed elsewhere: its name (only the last path segment
    /// counts), its size and the SHA-256 of its bytes.
    pub fn add_file(&mut self, name: &str, size: u64, sha256: &[u8; 32]) {
        let file = last_segment(name);
        self.dataset.update((file.len() as u64).to_le_bytes());
        self.dataset.update(file.as_bytes());
        self.dataset.update(size.to_le_bytes());
        self.dataset.update(sha256);
    }

    /// Adds a file streamed through a [`FileHasher`].
    pub fn add(&mut self, file: FileHasher) {
        let (digest, size, name) = file.finish();
        self.add_file(&name, size, &digest);
    }

    /// The hex digest.
    pub fn finish(self) -> String {
        hex::encode(self.dataset.finalize())
    }
}

/// The last segment of a path or blob key (`/` or `\` separated).
pub fn last_segment(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// Hex SHA-256 of a whole byte string (for small documents, such as a script's CSP hash).
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_ignores_the_folder_and_streaming_boundaries() {
        let whole = {
            let mut h = ContentHasher::new();
            let mut f = FileHasher::new("a/b/data.csv");
            f.update(b"x,y\n1,2\n");
            h.add(f);
            h.finish()
        };
        let pieces = {
            let mut h = ContentHasher::new();
            let mut f = FileHasher::new("other\\data.csv");
            f.update(b"x,y\n");
            f.update(b"1,2\n");
            h.add(f);
            h.finish()
        };
        assert_eq!(whole, pieces);
        let by_digest = {
            let mut h = ContentHasher::new();
            h.add_file("data.csv", 8, &sha256(b"x,y\n1,2\n"));
            h.finish()
        };
        assert_eq!(whole, by_digest);
        let renamed = {
            let mut h = ContentHasher::new();
            h.add_file("day.csv", 8, &sha256(b"x,y\n1,2\n"));
            h.finish()
        };
        assert_ne!(whole, renamed);
    }
}
