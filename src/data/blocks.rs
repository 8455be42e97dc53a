//! Cutting a byte stream into blocks of whole records, so that blocks can be decoded in parallel.
//!
//! A record ends at a line end: `\n`, `\r\n`, or a `\r` alone (old Mac "CSV (Macintosh)" files),
//! the three terminators the CSV parser accepts too. In CSV a line end inside a quoted field is
//! not a record end, and a `"` opens a quoted field only at the start of a field, as the CSV
//! parser reads it: in `5" screen` the quote is a plain character. JSON lines have no such
//! quoting (a JSON string cannot hold a raw line end).
//!
//! Every byte is scanned once, whatever the length of the records: the scan state (inside quotes
//! or not, the last record end seen) is kept between reads, and when no record ends in the bytes
//! read the reader asks for as many again, so a record of any length costs time linear in its
//! length. A record longer than the maximum record size is an error that names its first line
//! (and the line of a quote that is still open, the usual cause), instead of memory without
//! bound; an unclosed quote at the end of the file is an error too.

use bytes::Bytes;

use super::ReadError;

/// Bytes of CSV or JSON lines decoded per block: big enough that per-block overhead vanishes,
/// small enough that a few blocks per thread stay well under the memory budget.
pub(crate) const BLOCK_SIZE: usize = 4 << 20;

/// Smallest read, so that a block nearly full of a previous read's rest still makes progress.
const MIN_READ: usize = 1 << 16;

/// Default maximum record size: far beyond any real row (a collector line carrying a batch of
/// requests is a few MB), small enough that a few records in flight fit in memory.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 64 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What separates records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Line ends outside quoted fields.
    Csv,
    /// Every line end.
    JsonLines,
}

/// A sequential byte input the splitter pulls from.
pub(crate) trait Fill {
    /// Appends up to `want` bytes to `buf`, fewer only at the end; returns how many.
    fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> std::io::Result<usize>;
}

impl Fill for super::input::ByteStream {
    fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> std::io::Result<usize> {
        self.read_into(buf, want)
    }
}

/// One block of whole records.
#[derive(Debug)]
pub(crate) struct Block {
    pub bytes: Bytes,
    /// 1-based line number of the block's first line in the file.
    pub first_line: u64,
    /// Line ends in the block (an upper bound of its records).
    pub lines: usize,
}

/// Why the splitter stopped.
#[derive(Debug)]
pub(crate) enum BlockError {
    Io(std::io::Error),
    /// A record longer than the maximum, starting at `line`.
    TooLong {
        line: u64,
        quote_line: Option<u64>,
    },
    /// A quoted field still open at the end of the input.
    UnclosedQuote {
        line: u64,
    },
}

impl BlockError {
    pub fn into_read_error(self, file: &str, max_record: usize) -> ReadError {
        let file = file.to_string();
        match self {
            BlockError::Io(source) => ReadError::Io { file, source },
            BlockError::TooLong { line, quote_line } => ReadError::RecordTooLong {
                file,
                line,
                limit_mb: (max_record as u64).div_ceil(1 << 20),
                quote_line,
            },
            BlockError::UnclosedQuote { line } => ReadError::UnclosedQuote { file, line },
        }
    }
}

/// Cuts a stream into [`Block`]s that end at a record end (see the module docs).
pub(crate) struct BlockReader {
    dialect: Dialect,
    max_record: usize,
    block_size: usize,
    min_read: usize,
    /// Bytes read and not handed out yet; they start at a record start.
    carry: Vec<u8>,
    done: bool,
    /// `carry[..scanned]` has been scanned; the fields below describe it.
    scanned: usize,
    /// Inside a quoted field at `scanned`, opened by the quote at `quote_at`.
    quoted: bool,
    quote_at: usize,
    /// Just after the last record end in `carry[..scanned]`.
    last_end: Option<usize>,
    /// Whether `carry` starts at the first byte of the input (where a byte-order mark may stand
    /// before the first field).
    at_start: bool,
    /// 1-based line number of the first line of the next block.
    next_line: u64,
}

impl BlockReader {
    pub fn new(dialect: Dialect, max_record: usize) -> Self {
        BlockReader {
            dialect,
            max_record: max_record.max(1),
            block_size: BLOCK_SIZE,
            min_read: MIN_READ,
            carry: Vec::new(),
            done: false,
            scanned: 0,
            quoted: false,
            quote_at: 0,
            last_end: None,
            at_start: true,
            next_line: 1,
        }
    }

    /// The same splitter with another block size (tests cut tiny inputs into many blocks).
    #[cfg(test)]
    pub fn with_block_size(mut self, block_size: usize) -> Self {
        self.block_size = block_size.max(1);
        self.min_read = MIN_READ.min(self.block_size);
        self
    }

    /// The next block of whole records, or None at the end of the input.
    pub fn next_block(&mut self, input: &mut impl Fill) -> Result<Option<Block>, BlockError> {
        loop {
            if !self.done {
                let len = self.carry.len();
                // Fill the block; past it (no record end yet), read as much again, so that a long
                // record is read in a number of steps logarithmic in its length.
                let want = if len < self.block_size {
                    (self.block_size - len).max(self.min_read)
                } else {
                    len.max(self.min_read)
                };
                let room = (self.max_record + 2).saturating_sub(len).max(1);
                let n = input
                    .fill(&mut self.carry, want.min(room.max(self.min_read)))
                    .map_err(BlockError::Io)?;
                if n == 0 {
                    self.done = true;
                }
            }
            self.scan();
            if self.carry.is_empty() {
                return Ok(None);
            }
            if self.done {
                if self.quoted {
                    return Err(BlockError::UnclosedQuote {
                        line: self.line_of(self.quote_at),
                    });
                }
                let all = self.carry.len();
                return Ok(Some(self.split(all)));
            }
            if let Some(end) = self.last_end {
                return Ok(Some(self.split(end)));
            }
            // No record end in `carry`: it holds the start of one record.
            if self.carry.len() > self.max_record + 1 {
                return Err(BlockError::TooLong {
                    line: self.next_line,
                    quote_line: self.quoted.then(|| self.line_of(self.quote_at)),
                });
            }
        }
    }

    /// Hands out `carry[..cut]`; the scan state moves with the rest.
    fn split(&mut self, cut: usize) -> Block {
        let rest = self.carry.split_off(cut);
        let block = std::mem::replace(&mut self.carry, rest);
        self.scanned -= cut;
        self.quote_at = self.quote_at.saturating_sub(cut);
        self.last_end = None;
        self.at_start = false;
        let lines = count_lines(&block);
        let first_line = self.next_line;
        self.next_line += lines as u64;
        Block {
            bytes: Bytes::from(block),
            first_line,
            lines,
        }
    }

    /// 1-based line number of `carry[pos]`.
    fn line_of(&self, pos: usize) -> u64 {
        self.next_line + count_lines(&self.carry[..pos]) as u64
    }

    /// Scans the bytes not scanned yet, stopping before a byte whose meaning depends on the next
    /// one when that one has not been read (a `\r` that may be followed by `\n`, a quote inside
    /// quotes that may be doubled).
    fn scan(&mut self) {
        let buf = &self.carry[..];
        let eof = self.done;
        let mut i = self.scanned;
        while i < buf.len() {
            if self.quoted {
                let Some(k) = memchr::memchr(b'"', &buf[i..]) else {
                    i = buf.len();
                    break;
                };
                let j = i + k;
                match buf.get(j + 1) {
                    Some(b'"') => i = j + 2,
                    Some(_) => {
                        self.quoted = false;
                        i = j + 1;
                    }
                    None if eof => {
                        self.quoted = false;
                        i = j + 1;
                    }
                    None => {
                        i = j;
                        break;
                    }
                }
                continue;
            }
            let found = match self.dialect {
                Dialect::Csv => memchr::memchr3(b'"', b'\n', b'\r', &buf[i..]),
                Dialect::JsonLines => memchr::memchr2(b'\n', b'\r', &buf[i..]),
            };
            let Some(k) = found else {
                i = buf.len();
                break;
            };
            let j = i + k;
            match buf[j] {
                b'\n' => {
                    self.last_end = Some(j + 1);
                    i = j + 1;
                }
                b'\r' => match buf.get(j + 1) {
                    Some(b'\n') => i = j + 1,
                    Some(_) => {
                        self.last_end = Some(j + 1);
                        i = j + 1;
                    }
                    None if eof => {
                        self.last_end = Some(j + 1);
                        i = j + 1;
                    }
                    None => {
                        i = j;
                        break;
                    }
                },
                _ => {
                    let field_start = j == 0
                        || matches!(buf[j - 1], b',' | b'\n' | b'\r')
                        || (self.at_start && j == BOM.len() && buf.starts_with(BOM));
                    if field_start {
                        self.quoted = true;
                        self.quote_at = j;
                    }
                    i = j + 1;
                }
            }
        }
        self.scanned = i;
    }
}

/// Line ends in `bytes`: `\n`, and `\r` not followed by `\n` (a `\r` last in the slice counts).
pub(crate) fn count_lines(bytes: &[u8]) -> usize {
    let lf = memchr::memchr_iter(b'\n', bytes).count();
    if memchr::memchr(b'\r', bytes).is_none() {
        return lf;
    }
    let lone_cr = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count();
    lf + lone_cr
}

/// Line numbers of byte offsets in one block, counted incrementally for offsets that only grow
/// (records in order), so that a block's lines are counted once.
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    pub fn new(bytes: &'a [u8], first_line: u64) -> Self {
        LineCounter {
            bytes,
            pos: 0,
            line: first_line,
        }
    }

    /// The 1-based line of `bytes[offset]`.
    pub fn line_at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.bytes.len());
        if offset < self.pos {
            return self.line - count_lines(&self.bytes[offset..self.pos]) as u64;
        }
        // A `\r` just before `offset` followed by `\n` at `offset` ends the line only with the `\n`.
        let upto = if offset > 0
            && self.bytes[offset - 1] == b'\r'
            && self.bytes.get(offset) == Some(&b'\n')
        {
            offset - 1
        } else {
            offset
        };
        if upto > self.pos {
            self.line += count_lines(&self.bytes[self.pos..upto]) as u64;
            self.pos = upto;
        }
        self.line
    }
}

/// The lines of a block of JSON lines, each with its 1-based line number, without the line end.
pub(crate) fn lines(bytes: &[u8], first_line: u64) -> impl Iterator<Item = (u64, &[u8])> {
    let mut pos = 0;
    let mut line = first_line;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let this = line;
        match memchr::memchr2(b'\n', b'\r', &bytes[pos..]) {
            Some(k) => {
                let end = pos + k;
                pos = if bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n') {
                    end + 2
                } else {
                    end + 1
                };
                line += 1;
                Some((this, &bytes[start..end]))
            }
            None => {
                pos = bytes.len();
                Some((this, &bytes[start..]))
            }
        }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An input handed out in pieces of at most `step` bytes per underlying read.
    pub(crate) struct Pieces<'a> {
        pub bytes: &'a [u8],
        pub pos: usize,
        pub step: usize,
    }

    impl Fill for Pieces<'_> {
        fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> std::io::Result<usize> {
            let mut added = 0;
            // Like a file read: fewer than asked only at the end.
            while added < want && self.pos < self.bytes.len() {
                let n = (want - added)
                    .min(self.step)
                    .min(self.bytes.len() - self.pos);
                buf.extend_from_slice(&self.bytes[self.pos..self.pos + n]);
                self.pos += n;
                added += n;
            }
            Ok(added)
        }
    }

    /// The blocks of `bytes`, split with a block size of `block` bytes.
    pub(crate) fn split(
        bytes: &[u8],
        dialect: Dialect,
        block: usize,
        step: usize,
        max: usize,
    ) -> Result<Vec<Block>, BlockError> {
        let mut reader = BlockReader::new(dialect, max).with_block_size(block);
        let mut input = Pieces {
            bytes,
            pos: 0,
            step: step.max(1),
        };
        let mut out = Vec::new();
        while let Some(b) = reader.next_block(&mut input)? {
            out.push(b);
        }
        Ok(out)
    }

    fn cuts(bytes: &[u8], dialect: Dialect, block: usize) -> Vec<String> {
        split(bytes, dialect, block, 3, 1 << 20)
            .unwrap()
            .iter()
            .map(|b| String::from_utf8_lossy(&b.bytes).into_owned())
            .collect()
    }

    #[test]
    fn newlines_inside_quotes_do_not_end_records() {
        assert_eq!(
            cuts(b"a,\"x\ny\"\n1,\"2\n3\"\n", Dialect::Csv, 1),
            vec!["a,\"x\ny\"\n", "1,\"2\n3\"\n"]
        );
        assert_eq!(
            cuts(b"\"a\"\"\nb\"\nc\n", Dialect::Csv, 1),
            vec!["\"a\"\"\nb\"\n", "c\n"]
        );
    }

    /// `text` followed by `n` rows `6,x`, split with tiny blocks: the blocks, which must be
    /// the input cut at line ends.
    fn cut_with_rows(text: &[u8], n: usize) -> Vec<String> {
        let mut bytes = text.to_vec();
        for _ in 0..n {
            bytes.extend_from_slice(b"6,x\n");
        }
        let blocks = cuts(&bytes, Dialect::Csv, 8);
        assert_eq!(blocks.concat().as_bytes(), &bytes[..]);
        assert!(blocks.iter().all(|b| b.ends_with('\n')), "{blocks:?}");
        blocks
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_a_plain_character() {
        // A quote parity would keep `5" screen` open to the end: one block for everything.
        let blocks = cut_with_rows(b"size,label\n5,5\" screen\n", 200);
        assert!(blocks.len() > 10, "{blocks:?}");
        // After a closing quote the field goes on unquoted, and a later quote is plain too.
        let blocks = cut_with_rows(b"\"ab\"c\"d\ne\n", 200);
        assert!(blocks.len() > 10, "{blocks:?}");
    }

    #[test]
    fn carriage_returns_alone_end_records_but_not_inside_crlf() {
        assert_eq!(
            cuts(b"a,b\r1,2\r3,4\r", Dialect::Csv, 1),
            vec!["a,b\r", "1,2\r", "3,4\r"]
        );
        assert_eq!(
            cuts(b"a,b\r\n1,2\r\n", Dialect::Csv, 1),
            vec!["a,b\r\n", "1,2\r\n"]
        );
        assert_eq!(cuts(b"{}\r{}\r\n{}", Dialect::JsonLines, 1).len(), 3);
        assert_eq!(count_lines(b"a\rb\r\nc\nd\r"), 4);
    }

    #[test]
    fn a_byte_order_mark_does_not_hide_an_opening_quote() {
        // Reading the quote after the mark as plain would cut inside the quoted header field.
        let blocks = cut_with_rows(b"\xEF\xBB\xBF\"a\nb\",c\n", 200);
        assert!(blocks[0].starts_with("\u{feff}\"a\nb\",c\n"), "{blocks:?}");
    }

    #[test]
    fn unclosed_quote_and_overlong_record_name_their_lines() {
        let e = split(b"a,b\n1,2\n3,\"x\n4,5\n", Dialect::Csv, 4, 2, 1 << 20).unwrap_err();
        assert!(matches!(e, BlockError::UnclosedQuote { line: 3 }), "{e:?}");
        let mut text = b"a,b\n1,2\n3,".to_vec();
        text.extend(std::iter::repeat_n(b'x', 5000));
        text.extend_from_slice(b"\n4,5\n");
        let e = split(&text, Dialect::Csv, 16, 7, 1000).unwrap_err();
        assert!(
            matches!(
                e,
                BlockError::TooLong {
                    line: 3,
                    quote_line: None
                }
            ),
            "{e:?}"
        );
        // Within the limit, the long record is read.
        let blocks = split(&text, Dialect::Csv, 16, 7, 10_000).unwrap();
        assert!(blocks.iter().any(|b| b.bytes.len() > 5000));
        let mut open = b"a\n\"".to_vec();
        open.extend(std::iter::repeat_n(b'y', 100));
        let e = split(&open, Dialect::Csv, 1, 1, 10).unwrap_err();
        assert!(
            matches!(
                e,
                BlockError::TooLong {
                    line: 2,
                    quote_line: Some(2)
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn a_full_block_is_cut_at_its_last_record_end() {
        let text = b"aaaa\nbbbb\ncccc\ndddd\n";
        let blocks = split(text, Dialect::JsonLines, 12, 100, 1 << 20).unwrap();
        let got: Vec<&[u8]> = blocks.iter().map(|b| &b.bytes[..]).collect();
        assert_eq!(got, vec![&b"aaaa\nbbbb\n"[..], &b"cccc\ndddd\n"[..]]);
        assert_eq!((blocks[1].first_line, blocks[1].lines), (3, 2));
    }

    #[test]
    fn line_counter_and_lines_agree_on_every_terminator() {
        let text = b"a\r\nb\rc\nd";
        let mut lc = LineCounter::new(text, 10);
        assert_eq!(lc.line_at(0), 10);
        assert_eq!(lc.line_at(3), 11);
        assert_eq!(lc.line_at(5), 12);
        assert_eq!(lc.line_at(7), 13);
        assert_eq!(lc.line_at(2), 10);
        let got: Vec<(u64, &[u8])> = lines(text, 10).collect();
        assert_eq!(
            got,
            vec![
                (10, &b"a"[..]),
                (11, &b"b"[..]),
                (12, &b"c"[..]),
                (13, &b"d"[..])
            ]
        );
    }

    /// The records the CSV parser reads from `bytes`, as lists of fields.
    fn csv_records(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut rdr = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        rdr.byte_records()
            .map(|r| r.expect("csv").iter().map(<[u8]>::to_vec).collect())
            .collect()
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Cutting CSV into blocks never cuts inside a record: the records of the blocks, read
        /// one block at a time, are the records of the whole input; the blocks are the input;
        /// line numbers follow on; only a quote left open at the end is an error, and closing
        /// it makes the input readable.
        #[test]
        fn csv_blocks_hold_whole_records(
            text in proptest::collection::vec(
                prop_oneof![
                    Just(b'a'), Just(b','), Just(b'"'), Just(b'\n'), Just(b'\r'), Just(b' ')
                ],
                0..200,
            ),
            block in 1usize..40,
            step in 1usize..17,
        ) {
            match split(&text, Dialect::Csv, block, step, 1 << 20) {
                Ok(blocks) => {
                    let joined: Vec<u8> = blocks.iter().flat_map(|b| b.bytes.iter().copied()).collect();
                    prop_assert_eq!(&joined, &text);
                    let by_block: Vec<_> = blocks.iter().flat_map(|b| csv_records(&b.bytes)).collect();
                    prop_assert_eq!(by_block, csv_records(&text));
                    let mut line = 1;
                    for b in &blocks {
                        prop_assert_eq!(b.first_line, line);
                        line += b.lines as u64;
                    }
                    prop_assert_eq!(line - 1, count_lines(&text) as u64);
                }
                Err(BlockError::UnclosedQuote { .. }) => {
                    let mut closed = text.clone();
                    closed.push(b'"');
                    prop_assert!(split(&closed, Dialect::Csv, block, step, 1 << 20).is_ok());
                }
                Err(e) => prop_assert!(false, "unexpected {:?}", e),
            }
        }

        /// JSON lines: every block ends at a line end, and the lines of the blocks, with their
        /// numbers, are the lines of the whole input.
        #[test]
        fn json_blocks_hold_whole_lines(
            text in proptest::collection::vec(
                prop_oneof![Just(b'{'), Just(b'"'), Just(b'\n'), Just(b'\r'), Just(b'x')],
                0..200,
            ),
            block in 1usize..40,
            step in 1usize..17,
        ) {
            let blocks = split(&text, Dialect::JsonLines, block, step, 1 << 20).expect("split");
            let joined: Vec<u8> = blocks.iter().flat_map(|b| b.bytes.iter().copied()).collect();
            prop_assert_eq!(&joined, &text);
            let by_block: Vec<(u64, Vec<u8>)> = blocks
                .iter()
                .flat_map(|b| lines(&b.bytes, b.first_line).map(|(n, l)| (n, l.to_vec())).collect::<Vec<_>>())
                .collect();
            let whole: Vec<(u64, Vec<u8>)> = lines(&text, 1).map(|(n, l)| (n, l.to_vec())).collect();
            prop_assert_eq!(by_block, whole);
        }

        /// A record longer than the maximum is refused, and every shorter one is read.
        #[test]
        fn records_over_the_maximum_are_refused(
            lens in proptest::collection::vec(0usize..60, 1..8),
            max in 1usize..50,
        ) {
            let mut text = Vec::new();
            for (i, n) in lens.iter().enumerate() {
                text.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, *n));
                text.push(b'\n');
            }
            let result = split(&text, Dialect::JsonLines, 8, 3, max);
            // Records up to `max + 1` bytes (the line end included) always fit.
            if lens.iter().all(|&n| n < max) {
                prop_assert!(result.is_ok(), "{:?}", result.err());
            }
            if let Err(e) = result {
                prop_assert!(matches!(e, BlockError::TooLong { .. }), "{:?}", e);
                prop_assert!(lens.iter().any(|&n| n + 1 > max), "refused {:?} with max {}", lens, max);
            }
        }
    }
}
