//! Guard in front of automerge's sync-message decoder (issue 16, item 4).
//!
//! A device's sync message is untrusted input, and automerge 0.12 trusts it: the
//! bloom filter's probe count sizes an allocation (`u32::MAX` probes asked the
//! server for 16 GiB), a huge probe count costs seconds per request, zero bits
//! per entry divides by zero, and DEFLATE-compressed chunks inflate without limit.
//! [`check`] reads the raw bytes of one message in automerge 0.12's wire format
//! (message type, heads, need, have with bloom filters, change chunks, flags) and
//! refuses anything outside [`Limits`] *before* `Message::decode` sees it:
//! every length is checked against the bytes that are really there, every count
//! against a limit, compressed data is inflated through a capped reader, and the
//! column data inside change and document chunks is walked (without building
//! anything) to bound the number of operations its run-length encoding expands to.
//!
//! The guard is pure (no I/O, no async, no allocation larger than a limit) and
//! depends only on `flate2` and `thiserror`, so the fuzz crate (`fuzz/`) includes
//! this file as it is. Limits and codes are listed in `docs/sync-limits.md`.

/// First byte of a version 1 sync message.
const MESSAGE_V1: u8 = 0x42;
/// First byte of a version 2 sync message (its changes may be a whole document).
const MESSAGE_V2: u8 = 0x43;
/// Every automerge storage chunk starts with these bytes.
pub const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Bytes of a change hash.
const HASH_BYTES: u64 = 32;
/// Bit of a column specification saying its data is DEFLATE-compressed.
pub const COLUMN_DEFLATE: u32 = 0b1000;
/// Most bytes a LEB128 encoding of a 64-bit number can take.
const MAX_LEB128_BYTES: usize = 10;

/// What the guard accepts in one message. [`Limits::default`] is sized from real
/// traffic with wide margins: an inspection document is tens of KB and a few
/// thousand operations; a phone back after weeks offline sends a few thousand
/// changes; automerge itself sends at most one `have` entry, bloom filters of 10
/// bits per entry with 7 probes, and the whole document (DEFLATE columns) when it
/// sends more than a third of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the whole message. Default 6 MiB: the request limit is 8 MiB of
    /// JSON, in which a message travels as base64 (4/3 larger).
    pub max_message_bytes: u64,
    /// Hashes in `heads`, in each `have`'s `last_sync`, and in a document chunk's
    /// heads. Default 1024 (real documents have a handful of heads).
    pub max_heads: u64,
    /// Hashes in `need`. Default 4096.
    pub max_need: u64,
    /// Entries in `have`. Default 4 (automerge sends zero or one).
    pub max_have_entries: u64,
    /// Bytes of one bloom filter's bit array. Default 1 MiB (about 800,000
    /// changes at automerge's 10 bits per entry).
    pub max_bloom_bytes: u64,
    /// Probes per hash of a bloom filter, at least 1. Default 20 (automerge: 7).
    pub max_bloom_probes: u32,
    /// Bits per entry of a bloom filter, at least 1. Default 32 (automerge: 10).
    pub max_bits_per_entry: u32,
    /// Changes in the message: change chunks plus the changes a document chunk
    /// holds. Default 10,000 (applying that many small changes takes about
    /// 0.8 s of server time).
    pub max_changes: u64,
    /// Bytes of one change chunk, after inflating if it is compressed. Default 1 MiB
    /// (a change is a few hundred bytes; photos travel as separate uploads).
    pub max_change_bytes: u64,
    /// Bytes produced by inflating all compressed chunks and columns of the message.
    /// Default 16 MiB.
    pub max_inflated_bytes_total: u64,
    /// Operations (rows of the run-length encoded columns) in the whole message.
    /// Default 100,000: a run-length encoded message of under 2 KB can carry
    /// that many, and applying, diffing and reloading them takes the server
    /// about 1.2 s (450,000 took 9 s); real documents have a few thousand.
    pub max_ops: u64,
    /// Actors named in one chunk. Default 1024.
    pub max_actors: u64,
    /// Columns in one chunk's column list. Default 64 (automerge 0.12 writes 14
    /// for changes and 18 for documents).
    pub max_columns: u64,
    /// Bytes of the string columns once run-length runs are expanded. Default 16 MiB.
    pub max_string_bytes: u64,
    /// Bytes of the trailing flags section. Default 16 (automerge writes 2).
    pub max_flag_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 6 * 1024 * 1024,
            max_heads: 1024,
            max_need: 4096,
            max_have_entries: 4,
            max_bloom_bytes: 1024 * 1024,
            max_bloom_probes: 20,
            max_bits_per_entry: 32,
            max_changes: 10_000,
            max_change_bytes: 1024 * 1024,
            max_inflated_bytes_total: 16 * 1024 * 1024,
            max_ops: 100_000,
            max_actors: 1024,
            max_columns: 64,
            max_string_bytes: 16 * 1024 * 1024,
            max_flag_bytes: 16,
        }
    }
}

/// Version byte of an accepted message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageVersion {
    /// 0x42: changes are individual change chunks.
    V1,
    /// 0x43: changes may be one document chunk (possibly followed by changes).
    V2,
}

/// What an accepted message holds (for logs and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageShape {
    /// Message version.
    pub version: MessageVersion,
    /// Hashes in `heads`.
    pub heads: u64,
    /// Hashes in `need`.
    pub need: u64,
    /// Entries in `have`.
    pub have: u64,
    /// Bytes of all bloom filter bit arrays.
    pub bloom_bytes: u64,
    /// Entries of the changes list.
    pub entries: u64,
    /// Change chunks (plain or compressed).
    pub change_chunks: u64,
    /// Document chunks.
    pub document_chunks: u64,
    /// Changes in total (change chunks plus the changes of document chunks).
    pub changes: u64,
    /// Operations in total.
    pub ops: u64,
    /// Bytes produced by inflating compressed chunks and columns.
    pub inflated_bytes: u64,
    /// Whether the message ends with a flags section.
    pub has_flags: bool,
}

/// Why a message was refused. [`GuardError::code`] is stable (logs, replies, docs);
/// the text is Chinese for the officer's screen and the device log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// Larger than [`Limits::max_message_bytes`].
    #[error("同步消息有 {bytes} 字节，超过上限 {max} 字节")]
    MessageTooLarge {
        /// Bytes of the message.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// The message ends in the middle of a field.
    #[error("同步消息不完整：读取{field}时数据已结束")]
    Truncated {
        /// The field being read (Chinese).
        field: &'static str,
    },
    /// A LEB128 number is too long, overflows, or is not minimally encoded.
    #[error("同步消息的{field}不是有效的变长整数")]
    BadLeb128 {
        /// The field being read (Chinese).
        field: &'static str,
    },
    /// The first byte is neither 0x42 nor 0x43.
    #[error("无法识别的同步消息类型 0x{found:02x}（应为 0x42 或 0x43）")]
    UnknownMessageType {
        /// The first byte.
        found: u8,
    },
    /// More heads (or `last_sync` hashes, or document heads) than allowed.
    #[error("同步消息中的头部哈希有 {count} 个，超过上限 {max} 个")]
    TooManyHeads {
        /// Declared count.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// More `need` hashes than allowed.
    #[error("同步消息请求的修改有 {count} 个，超过上限 {max} 个")]
    TooManyNeed {
        /// Declared count.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// More `have` entries than allowed.
    #[error("同步消息中的已有修改摘要有 {count} 组，超过上限 {max} 组")]
    TooManyHave {
        /// Declared count.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// A bloom filter's bit array is larger than allowed.
    #[error("同步消息中的布隆过滤器有 {bytes} 字节，超过上限 {max} 字节")]
    BloomTooLarge {
        /// Bytes the filter declares.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// Bits per entry is 0 or above the limit (0 made automerge divide by zero).
    #[error("布隆过滤器每项位数为 {found}，应在 1 到 {max} 之间")]
    BloomBitsPerEntry {
        /// Declared bits per entry.
        found: u64,
        /// The limit.
        max: u32,
    },
    /// Probe count is 0 or above the limit (huge counts cost memory and time).
    #[error("布隆过滤器探测次数为 {found}，应在 1 到 {max} 之间")]
    BloomProbes {
        /// Declared probes.
        found: u64,
        /// The limit.
        max: u32,
    },
    /// The bit array is not exactly as long as its entry count and bits per entry say.
    #[error("布隆过滤器的位数组有 {found} 字节，与声明的 {expected} 字节不符")]
    BloomLength {
        /// Bytes present.
        found: u64,
        /// Bytes the header implies.
        expected: u64,
    },
    /// More changes than allowed.
    #[error("同步消息包含的修改超过上限 {max} 项")]
    TooManyChanges {
        /// The limit.
        max: u64,
    },
    /// One change chunk is larger than allowed (after inflating).
    #[error("同步消息中的一项修改超过上限 {max} 字节")]
    ChangeTooLarge {
        /// The limit.
        max: u64,
    },
    /// Inflating compressed data would exceed the total allowed.
    #[error("同步消息中的压缩数据解压后超过上限 {max} 字节")]
    InflatedTooLarge {
        /// The limit.
        max: u64,
    },
    /// More operations than allowed.
    #[error("同步消息包含的操作超过上限 {max} 条")]
    TooManyOps {
        /// The limit.
        max: u64,
    },
    /// A chunk names more actors than allowed.
    #[error("同步消息中的数据块有 {count} 个作者，超过上限 {max} 个")]
    TooManyActors {
        /// Declared count.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// A chunk has more columns than allowed.
    #[error("同步消息中的数据块有 {count} 列，超过上限 {max} 列")]
    TooManyColumns {
        /// Declared count.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// Expanded string columns are larger than allowed.
    #[error("同步消息中的字符串展开后超过上限 {max} 字节")]
    StringsTooLarge {
        /// The limit.
        max: u64,
    },
    /// The flags section is longer than allowed.
    #[error("同步消息末尾的标志有 {bytes} 字节，超过上限 {max} 字节")]
    FlagsTooLarge {
        /// Declared bytes.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// A change entry does not start with automerge's chunk magic bytes.
    #[error("同步消息中的修改数据不是 automerge 数据块（标识字节错误）")]
    BadChunkMagic,
    /// A chunk type other than document (0), change (1) or compressed change (2).
    #[error("不接受类型为 {found} 的数据块（只接受文档、修改和压缩修改）")]
    UnsupportedChunkType {
        /// The chunk type byte.
        found: u8,
    },
    /// Lengths inside a chunk do not add up.
    #[error("同步消息中{field}的长度与内容不符")]
    LengthMismatch {
        /// The part whose length is wrong (Chinese).
        field: &'static str,
    },
    /// Compressed data that does not inflate.
    #[error("同步消息中的压缩数据无法解压")]
    BadDeflate,
    /// Column data that cannot be right (overflowing values, lengths that disagree).
    #[error("同步消息中的列数据无效：{field}")]
    BadColumn {
        /// What is wrong (Chinese).
        field: &'static str,
    },
    /// A change chunk with individually compressed columns (automerge never writes one).
    #[error("修改块中的列不能单独压缩")]
    CompressedChangeColumns,
    /// Bytes after the end of the message.
    #[error("同步消息末尾有 {count} 字节多余数据")]
    TrailingBytes {
        /// Extra bytes.
        count: u64,
    },
}

impl GuardError {
    /// Stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            GuardError::MessageTooLarge { .. } => "message_too_large",
            GuardError::Truncated { .. } => "truncated",
            GuardError::BadLeb128 { .. } => "bad_leb128",
            GuardError::UnknownMessageType { .. } => "unknown_message_type",
            GuardError::TooManyHeads { .. } => "too_many_heads",
            GuardError::TooManyNeed { .. } => "too_many_need",
            GuardError::TooManyHave { .. } => "too_many_have",
            GuardError::BloomTooLarge { .. } => "bloom_too_large",
            GuardError::BloomBitsPerEntry { .. } => "bloom_bits_per_entry",
            GuardError::BloomProbes { .. } => "bloom_probes",
            GuardError::BloomLength { .. } => "bloom_length_mismatch",
            GuardError::TooManyChanges { .. } => "too_many_changes",
            GuardError::ChangeTooLarge { .. } => "change_too_large",
            GuardError::InflatedTooLarge { .. } => "inflated_too_large",
            GuardError::TooManyOps { .. } => "too_many_ops",
            GuardError::TooManyActors { .. } => "too_many_actors",
            GuardError::TooManyColumns { .. } => "too_many_columns",
            GuardError::StringsTooLarge { .. } => "strings_too_large",
            GuardError::FlagsTooLarge { .. } => "flags_too_large",
            GuardError::BadChunkMagic => "bad_chunk_magic",
            GuardError::UnsupportedChunkType { .. } => "unsupported_chunk_type",
            GuardError::LengthMismatch { .. } => "length_mismatch",
            GuardError::BadDeflate => "bad_deflate",
            GuardError::BadColumn { .. } => "bad_column",
            GuardError::CompressedChangeColumns => "compressed_change_columns",
            GuardError::TrailingBytes { .. } => "trailing_bytes",
        }
    }
}

/// Checks one sync message against `limits` without decoding it; on success
/// `automerge::sync::Message::decode` and `receive_sync_message` can be run on it
/// with bounded memory and time.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<MessageShape, GuardError> {
    let len = bytes.len() as u64;
    if len > limits.max_message_bytes {
        return Err(GuardError::MessageTooLarge {
            bytes: len,
            max: limits.max_message_bytes,
        });
    }
    let mut r = Reader::new(bytes);
    let version = match r.byte("消息类型")? {
        MESSAGE_V1 => MessageVersion::V1,
        MESSAGE_V2 => MessageVersion::V2,
        found => return Err(GuardError::UnknownMessageType { found }),
    };
    let heads = r.count("头部哈希数", limits.max_heads, |count, max| {
        GuardError::TooManyHeads { count, max }
    })?;
    r.take_items(heads, HASH_BYTES, "头部哈希")?;
    let need = r.count("请求哈希数", limits.max_need, |count, max| {
        GuardError::TooManyNeed { count, max }
    })?;
    r.take_items(need, HASH_BYTES, "请求哈希")?;
    let have = r.count("已有摘要数", limits.max_have_entries, |count, max| {
        GuardError::TooManyHave { count, max }
    })?;
    let mut bloom_bytes = 0;
    for _ in 0..have {
        let last_sync = r.count("上次同步哈希数", limits.max_heads, |count, max| {
            GuardError::TooManyHeads { count, max }
        })?;
        r.take_items(last_sync, HASH_BYTES, "上次同步哈希")?;
        let n = r.uleb("布隆过滤器长度")?;
        let filter = r.take(n, "布隆过滤器")?;
        bloom_bytes += check_bloom(filter, limits)?;
    }
    let mut budget = Budget::new(limits);
    let entries = r.uleb("修改数")?;
    if entries > limits.max_changes {
        return Err(GuardError::TooManyChanges {
            max: limits.max_changes,
        });
    }
    for _ in 0..entries {
        let n = r.uleb("修改长度")?;
        let entry = r.take(n, "修改数据")?;
        check_chunks(entry, &mut budget)?;
    }
    let has_flags = !r.is_empty();
    if has_flags {
        let n = r.uleb("标志长度")?;
        if n > limits.max_flag_bytes {
            return Err(GuardError::FlagsTooLarge {
                bytes: n,
                max: limits.max_flag_bytes,
            });
        }
        r.take(n, "标志")?;
    }
    if !r.is_empty() {
        return Err(GuardError::TrailingBytes {
            count: r.remaining(),
        });
    }
    Ok(MessageShape {
        version,
        heads,
        need,
        have,
        bloom_bytes,
        entries,
        change_chunks: budget.change_chunks,
        document_chunks: budget.document_chunks,
        changes: budget.changes,
        ops: budget.ops,
        inflated_bytes: budget.inflated,
        has_flags,
    })
}

/// Checks a bloom filter (`have`): empty, or entries, bits per entry and probes
/// (LEB128 u32 each) followed by exactly `ceil(entries * bits / 8)` bytes.
/// Returns the bytes of the bit array.
fn check_bloom(filter: &[u8], limits: &Limits) -> Result<u64, GuardError> {
    if filter.is_empty() {
        return Ok(0);
    }
    let mut r = Reader::new(filter);
    let entries = r.uleb_u32("布隆过滤器项数")?;
    let bits = r.uleb_u32("布隆过滤器每项位数")?;
    let probes = r.uleb_u32("布隆过滤器探测次数")?;
    if bits == 0 || bits > u64::from(limits.max_bits_per_entry) {
        return Err(GuardError::BloomBitsPerEntry {
            found: bits,
            max: limits.max_bits_per_entry,
        });
    }
    if probes == 0 || probes > u64::from(limits.max_bloom_probes) {
        return Err(GuardError::BloomProbes {
            found: probes,
            max: limits.max_bloom_probes,
        });
    }
    // Both factors fit in 32 bits, so the product fits in 64.
    let expected = (entries * bits).div_ceil(8);
    if expected > limits.max_bloom_bytes {
        return Err(GuardError::BloomTooLarge {
            bytes: expected,
            max: limits.max_bloom_bytes,
        });
    }
    if r.remaining() != expected {
        return Err(GuardError::BloomLength {
            found: r.remaining(),
            expected,
        });
    }
    Ok(expected)
}

/// Running totals of one message, checked against the limits as they grow.
struct Budget<'l> {
    limits: &'l Limits,
    change_chunks: u64,
    document_chunks: u64,
    changes: u64,
    ops: u64,
    inflated: u64,
    strings: u64,
    /// One inflater for every compressed column of the message, reset between
    /// them: a new one allocates and clears zlib's state and window per column
    /// (a third of the guard's time in a first sync, issue 19 item 1).
    inflater: Option<flate2::Decompress>,
}

impl<'l> Budget<'l> {
    fn new(limits: &'l Limits) -> Self {
        Budget {
            limits,
            change_chunks: 0,
            document_chunks: 0,
            changes: 0,
            ops: 0,
            inflated: 0,
            strings: 0,
            inflater: None,
        }
    }

    fn add_changes(&mut self, n: u64) -> Result<(), GuardError> {
        self.changes = self.changes.saturating_add(n);
        if self.changes > self.limits.max_changes {
            return Err(GuardError::TooManyChanges {
                max: self.limits.max_changes,
            });
        }
        Ok(())
    }

    fn add_ops(&mut self, n: u64) -> Result<(), GuardError> {
        self.ops = self.ops.saturating_add(n);
        if self.ops > self.limits.max_ops {
            return Err(GuardError::TooManyOps {
                max: self.limits.max_ops,
            });
        }
        Ok(())
    }

    fn add_strings(&mut self, n: u64) -> Result<(), GuardError> {
        self.strings = self.strings.saturating_add(n);
        if self.strings > self.limits.max_string_bytes {
            return Err(GuardError::StringsTooLarge {
                max: self.limits.max_string_bytes,
            });
        }
        Ok(())
    }

    /// Inflates `data` with at most `cap` bytes of output and whatever is left of the
    /// total inflate budget; `too_large` is the error when `cap` is what stops it.
    fn inflate(
        &mut self,
        data: &[u8],
        cap: u64,
        too_large: GuardError,
    ) -> Result<Vec<u8>, GuardError> {
        let left = self
            .limits
            .max_inflated_bytes_total
            .saturating_sub(self.inflated);
        let allowed = cap.min(left);
        let inflater = self
            .inflater
            .get_or_insert_with(|| flate2::Decompress::new(false));
        let out = inflate_capped(inflater, data, allowed.saturating_add(1))
            .ok_or(GuardError::BadDeflate)?;
        let produced = out.len() as u64;
        if produced > allowed {
            return Err(if produced > cap {
                too_large
            } else {
                GuardError::InflatedTooLarge {
                    max: self.limits.max_inflated_bytes_total,
                }
            });
        }
        self.inflated += produced;
        Ok(out)
    }
}

/// The first `limit` bytes (or fewer) that the raw DEFLATE stream in `data`
/// inflates to, exactly what `flate2::bufread::DeflateDecoder::new(data)
/// .take(limit).read_to_end(..)` reads (a test holds it to that), through a
/// reused `inflater`: up to the end of the stream (bytes after it are ignored);
/// `None` for data that is not DEFLATE or a stream that stops short of its end
/// before `limit` bytes. The output never holds more than `limit` bytes.
pub fn inflate_capped(
    inflater: &mut flate2::Decompress,
    data: &[u8],
    limit: u64,
) -> Option<Vec<u8>> {
    use flate2::{FlushDecompress, Status};
    inflater.reset(false);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut out: Vec<u8> = Vec::new();
    while out.len() < limit {
        if out.len() == out.capacity() {
            // Grown in steps (4x the input at first, then doubling), never past
            // the limit: a bomb is stopped at `limit` bytes as before.
            let step = out.len().max(data.len().saturating_mul(4)).max(256);
            out.reserve_exact(step.min(limit - out.len()));
        }
        let consumed = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
        let input = data.get(consumed..).unwrap_or_default();
        let (before_in, before_out) = (inflater.total_in(), inflater.total_out());
        // As the buffered reader does: no flush while input is left, then finish.
        let flush = if input.is_empty() {
            FlushDecompress::Finish
        } else {
            FlushDecompress::None
        };
        let status = inflater.decompress_vec(input, &mut out, flush).ok()?;
        if status == Status::StreamEnd {
            break;
        }
        if inflater.total_in() == before_in && inflater.total_out() == before_out {
            // No progress with room for output: the stream is incomplete.
            return None;
        }
    }
    out.truncate(limit);
    Some(out)
}

/// Checks one entry of the changes list: one or more whole chunks (automerge
/// concatenates a v2 message's document and changes in one entry).
fn check_chunks(entry: &[u8], budget: &mut Budget<'_>) -> Result<(), GuardError> {
    let mut r = Reader::new(entry);
    if r.is_empty() {
        return Err(GuardError::LengthMismatch {
            field: "空的修改"
        });
    }
    while !r.is_empty() {
        let magic = r.take(4, "数据块标识")?;
        if magic != CHUNK_MAGIC {
            return Err(GuardError::BadChunkMagic);
        }
        r.take(4, "数据块校验和")?;
        let chunk_type = r.byte("数据块类型")?;
        let n = r.uleb("数据块长度")?;
        let data = r.take(n, "数据块内容")?;
        match chunk_type {
            0 => {
                budget.document_chunks += 1;
                check_document(data, budget)?;
            }
            1 => {
                budget.change_chunks += 1;
                if n > budget.limits.max_change_bytes {
                    return Err(GuardError::ChangeTooLarge {
                        max: budget.limits.max_change_bytes,
                    });
                }
                check_change(data, budget)?;
            }
            2 => {
                budget.change_chunks += 1;
                let cap = budget.limits.max_change_bytes;
                let inflated =
                    budget.inflate(data, cap, GuardError::ChangeTooLarge { max: cap })?;
                check_change(&inflated, budget)?;
            }
            found => return Err(GuardError::UnsupportedChunkType { found }),
        }
    }
    Ok(())
}

/// Checks the body of a change chunk: dependencies, actor, counters, message,
/// other actors, uncompressed op columns, extra bytes.
fn check_change(data: &[u8], budget: &mut Budget<'_>) -> Result<(), GuardError> {
    let limits = budget.limits;
    budget.add_changes(1)?;
    let mut r = Reader::new(data);
    let deps = r.count("依赖数", limits.max_heads, |count, max| {
        GuardError::TooManyHeads { count, max }
    })?;
    r.take_items(deps, HASH_BYTES, "依赖哈希")?;
    r.length_prefixed("作者")?;
    r.uleb("序号")?;
    r.uleb("起始操作号")?;
    r.sleb("时间戳")?;
    r.length_prefixed("修改说明")?;
    let actors = r.count("其他作者数", limits.max_actors, |count, max| {
        GuardError::TooManyActors { count, max }
    })?;
    for _ in 0..actors {
        r.length_prefixed("作者")?;
    }
    let columns = read_columns(&mut r, limits)?;
    if columns.iter().any(|c| c.spec & COLUMN_DEFLATE != 0) {
        return Err(GuardError::CompressedChangeColumns);
    }
    let total = total_len(&columns)?;
    let col_data = r.take(total, "操作列")?;
    // The rest of the chunk is "extra bytes", kept as they are.
    let mut offset = 0;
    let mut slices = Vec::with_capacity(columns.len());
    for c in &columns {
        let end = offset + c.len as usize;
        slices.push((c.spec, &col_data[offset..end]));
        offset = end;
    }
    let rows = count_rows(&slices, budget)?;
    budget.add_ops(rows)
}

/// Checks the body of a document chunk: actors, heads, change and op column
/// lists, their data (inflating compressed columns within the budget) and the
/// head indices.
fn check_document(data: &[u8], budget: &mut Budget<'_>) -> Result<(), GuardError> {
    let limits = budget.limits;
    let mut r = Reader::new(data);
    let actors = r.count("作者数", limits.max_actors, |count, max| {
        GuardError::TooManyActors { count, max }
    })?;
    for _ in 0..actors {
        r.length_prefixed("作者")?;
    }
    let heads = r.count("文档头部哈希数", limits.max_heads, |count, max| {
        GuardError::TooManyHeads { count, max }
    })?;
    r.take_items(heads, HASH_BYTES, "文档头部哈希")?;
    let change_cols = read_columns(&mut r, limits)?;
    let op_cols = read_columns(&mut r, limits)?;
    let change_data = r.take(total_len(&change_cols)?, "文档修改列")?;
    let op_data = r.take(total_len(&op_cols)?, "文档操作列")?;
    if !r.is_empty() {
        for _ in 0..heads {
            r.uleb("头部序号")?;
        }
    }
    if !r.is_empty() {
        return Err(GuardError::LengthMismatch {
            field: "文档数据块",
        });
    }
    let changes = inflate_and_count(&change_cols, change_data, budget)?;
    budget.add_changes(changes)?;
    let ops = inflate_and_count(&op_cols, op_data, budget)?;
    budget.add_ops(ops)
}

/// Inflates the compressed columns of a document's column list and returns the
/// largest row count among them.
fn inflate_and_count(
    columns: &[Column],
    data: &[u8],
    budget: &mut Budget<'_>,
) -> Result<u64, GuardError> {
    let mut inflated: Vec<(u32, std::borrow::Cow<'_, [u8]>)> = Vec::with_capacity(columns.len());
    let mut offset = 0;
    for c in columns {
        let end = offset + c.len as usize;
        let raw = &data[offset..end];
        offset = end;
        if c.spec & COLUMN_DEFLATE != 0 {
            let cap = budget.limits.max_inflated_bytes_total;
            let bytes = budget.inflate(raw, cap, GuardError::InflatedTooLarge { max: cap })?;
            inflated.push((c.spec & !COLUMN_DEFLATE, bytes.into()));
        } else {
            inflated.push((c.spec, raw.into()));
        }
    }
    let slices: Vec<(u32, &[u8])> = inflated.iter().map(|(s, b)| (*s, b.as_ref())).collect();
    count_rows(&slices, budget)
}

/// One entry of a column list: specification and data length.
struct Column {
    spec: u32,
    len: u64,
}

/// Reads a column list: a count, then (specification u32, length) pairs.
fn read_columns(r: &mut Reader<'_>, limits: &Limits) -> Result<Vec<Column>, GuardError> {
    let n = r.count("列数", limits.max_columns, |count, max| {
        GuardError::TooManyColumns { count, max }
    })?;
    let mut columns = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let spec = r.uleb_u32("列类型")? as u32;
        let len = r.uleb("列长度")?;
        columns.push(Column { spec, len });
    }
    Ok(columns)
}

/// Sum of the column lengths (checked; the caller then takes that many bytes).
fn total_len(columns: &[Column]) -> Result<u64, GuardError> {
    columns.iter().try_fold(0u64, |acc, c| {
        acc.checked_add(c.len)
            .ok_or(GuardError::LengthMismatch { field: "列长度" })
    })
}

/// Column types (low three bits of a specification), automerge storage format.
pub mod col_type {
    pub const GROUP: u32 = 0;
    pub const ACTOR: u32 = 1;
    pub const INTEGER: u32 = 2;
    pub const DELTA: u32 = 3;
    pub const BOOLEAN: u32 = 4;
    pub const STRING: u32 = 5;
    pub const VALUE_META: u32 = 6;
    pub const VALUE: u32 = 7;
}

/// Walks every column's encoding and returns the largest number of rows any of
/// them expands to (the chunk's operations, or changes for a change column list).
/// Also checks that the value lengths declared by each value-metadata column
/// fit in the value column with the same id.
fn count_rows(columns: &[(u32, &[u8])], budget: &mut Budget<'_>) -> Result<u64, GuardError> {
    let mut most = 0u64;
    for &(spec, data) in columns {
        let cap = budget.limits.max_ops;
        let rows = match spec & 0b111 {
            col_type::VALUE => 0,
            col_type::BOOLEAN => boolean_rows(data, cap)?,
            col_type::STRING => {
                let (rows, bytes) = rle_rows(data, cap, RleValue::String)?;
                budget.add_strings(bytes)?;
                rows
            }
            col_type::DELTA => rle_rows(data, cap, RleValue::Delta)?.0,
            col_type::GROUP => {
                let (rows, sum) = rle_rows(data, cap, RleValue::Unsigned)?;
                if sum > cap {
                    return Err(GuardError::TooManyOps { max: cap });
                }
                rows
            }
            col_type::VALUE_META => {
                let (rows, declared) = rle_rows(data, cap, RleValue::ValueMeta)?;
                let id = spec >> 4;
                let available: u64 = columns
                    .iter()
                    .filter(|(s, _)| s >> 4 == id && s & 0b111 == col_type::VALUE)
                    .map(|(_, d)| d.len() as u64)
                    .sum();
                if declared > available {
                    return Err(GuardError::BadColumn {
                        field: "值的长度超出值列",
                    });
                }
                rows
            }
            // ACTOR, INTEGER
            col_type::ACTOR | col_type::INTEGER => rle_rows(data, cap, RleValue::Unsigned)?.0,
            _ => 0,
        };
        most = most.max(rows);
    }
    Ok(most)
}

/// Rows of a boolean column: alternating run lengths (false first).
fn boolean_rows(data: &[u8], cap: u64) -> Result<u64, GuardError> {
    let mut r = Reader::new(data);
    let mut rows = 0u64;
    while !r.is_empty() {
        rows = rows.saturating_add(r.uleb_lenient("布尔列")?);
        if rows > cap {
            return Err(GuardError::TooManyOps { max: cap });
        }
    }
    Ok(rows)
}

/// How the values of a run-length encoded column are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RleValue {
    /// Unsigned LEB128 (actor indices, integers, group sizes); the second result
    /// is the sum of the values over all rows.
    Unsigned,
    /// Signed LEB128 deltas; the running value must stay within i64.
    Delta,
    /// Length-prefixed UTF-8; the second result is the expanded bytes.
    String,
    /// Value metadata (type in the low 4 bits, length above); the second result
    /// is the sum of the lengths over all rows.
    ValueMeta,
}

/// Rows of a run-length encoded column: signed counts; a positive count repeats
/// the one value that follows, a negative count is followed by that many literal
/// values, zero is followed by an unsigned count of nulls. Returns the rows and
/// the value-dependent total described at [`RleValue`].
fn rle_rows(data: &[u8], cap: u64, kind: RleValue) -> Result<(u64, u64), GuardError> {
    let mut r = Reader::new(data);
    let mut rows = 0u64;
    let mut total = 0u64;
    let mut absolute: i64 = 0;
    let overflow = GuardError::BadColumn {
        field: "增量列溢出",
    };
    while !r.is_empty() {
        let count = r.sleb_lenient("列的游程长度")?;
        let n = if count == 0 {
            r.uleb_lenient("列的空值游程长度")?
        } else {
            count.unsigned_abs()
        };
        rows = rows.saturating_add(n);
        if rows > cap {
            return Err(GuardError::TooManyOps { max: cap });
        }
        if count > 0 {
            let v = read_rle_value(&mut r, kind)?;
            if kind == RleValue::Delta {
                let step = i128::from(v.signed) * i128::from(n);
                absolute =
                    i64::try_from(i128::from(absolute) + step).map_err(|_| overflow.clone())?;
            } else {
                total = total.saturating_add(v.weight.saturating_mul(n));
            }
        } else if count < 0 {
            for _ in 0..n {
                let v = read_rle_value(&mut r, kind)?;
                if kind == RleValue::Delta {
                    absolute = absolute
                        .checked_add(v.signed)
                        .ok_or_else(|| overflow.clone())?;
                } else {
                    total = total.saturating_add(v.weight);
                }
            }
        }
    }
    Ok((rows, total))
}

/// One value of a run-length encoded column, reduced to what the guard needs.
struct RleItem {
    /// The delta (delta columns).
    signed: i64,
    /// The value, string length or declared value length (other columns).
    weight: u64,
}

fn read_rle_value(r: &mut Reader<'_>, kind: RleValue) -> Result<RleItem, GuardError> {
    Ok(match kind {
        RleValue::Unsigned => RleItem {
            signed: 0,
            weight: r.uleb_lenient("列值")?,
        },
        RleValue::Delta => RleItem {
            signed: r.sleb_lenient("增量列值")?,
            weight: 0,
        },
        RleValue::String => {
            let n = r.uleb_lenient("字符串长度")?;
            r.take(n, "字符串")?;
            RleItem {
                signed: 0,
                weight: n,
            }
        }
        RleValue::ValueMeta => RleItem {
            signed: 0,
            weight: r.uleb_lenient("值元数据")? >> 4,
        },
    })
}

/// A cursor over untrusted bytes: every read is checked against what is left,
/// and no length read from the input sizes an allocation.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn remaining(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn byte(&mut self, field: &'static str) -> Result<u8, GuardError> {
        let (&b, rest) = self
            .bytes
            .split_first()
            .ok_or(GuardError::Truncated { field })?;
        self.bytes = rest;
        Ok(b)
    }

    fn take(&mut self, n: u64, field: &'static str) -> Result<&'a [u8], GuardError> {
        if n > self.remaining() {
            return Err(GuardError::Truncated { field });
        }
        let (head, rest) = self.bytes.split_at(n as usize);
        self.bytes = rest;
        Ok(head)
    }

    /// Skips `count` items of `size` bytes each.
    fn take_items(&mut self, count: u64, size: u64, field: &'static str) -> Result<(), GuardError> {
        let n = count
            .checked_mul(size)
            .ok_or(GuardError::Truncated { field })?;
        self.take(n, field).map(|_| ())
    }

    /// Skips a LEB128 length and that many bytes.
    fn length_prefixed(&mut self, field: &'static str) -> Result<&'a [u8], GuardError> {
        let n = self.uleb(field)?;
        self.take(n, field)
    }

    /// A count checked against `max`; `too_many` builds the error.
    fn count(
        &mut self,
        field: &'static str,
        max: u64,
        too_many: impl FnOnce(u64, u64) -> GuardError,
    ) -> Result<u64, GuardError> {
        let n = self.uleb(field)?;
        if n > max {
            return Err(too_many(n, max));
        }
        Ok(n)
    }

    /// Unsigned LEB128 as automerge's framing reads it: at most 10 bytes, no
    /// overflow, no redundant trailing zero byte.
    fn uleb(&mut self, field: &'static str) -> Result<u64, GuardError> {
        self.uleb_inner(field, true)
    }

    /// Unsigned LEB128 that must fit in 32 bits.
    fn uleb_u32(&mut self, field: &'static str) -> Result<u64, GuardError> {
        let v = self.uleb(field)?;
        if v > u64::from(u32::MAX) {
            return Err(GuardError::BadLeb128 { field });
        }
        Ok(v)
    }

    /// Unsigned LEB128 inside column data (redundant bytes allowed, overflow not).
    fn uleb_lenient(&mut self, field: &'static str) -> Result<u64, GuardError> {
        self.uleb_inner(field, false)
    }

    fn uleb_inner(&mut self, field: &'static str, minimal: bool) -> Result<u64, GuardError> {
        let mut result = 0u64;
        for i in 0..MAX_LEB128_BYTES {
            let b = self.byte(field)?;
            let low = u64::from(b & 0x7f);
            let shift = 7 * i as u32;
            if i == MAX_LEB128_BYTES - 1 && (b & 0x7e) != 0 {
                // The tenth byte carries bit 63 only.
                return Err(GuardError::BadLeb128 { field });
            }
            result |= low << shift;
            if b & 0x80 == 0 {
                if minimal && i > 0 && b == 0 {
                    return Err(GuardError::BadLeb128 { field });
                }
                return Ok(result);
            }
        }
        Err(GuardError::BadLeb128 { field })
    }

    /// Signed LEB128 in the framing (automerge itself refuses redundant bytes there).
    fn sleb(&mut self, field: &'static str) -> Result<i64, GuardError> {
        self.sleb_lenient(field)
    }

    /// Signed LEB128: at most 10 bytes, the value must fit in i64 (a tenth byte
    /// holds only the sign bit: 0x00 or 0x7f).
    fn sleb_lenient(&mut self, field: &'static str) -> Result<i64, GuardError> {
        let mut result: i64 = 0;
        for i in 0..MAX_LEB128_BYTES {
            let b = self.byte(field)?;
            let shift = 7 * i as u32;
            if i == MAX_LEB128_BYTES - 1 {
                if b != 0x00 && b != 0x7f {
                    return Err(GuardError::BadLeb128 { field });
                }
                // Only bit 63 survives the shift: the sign.
                return Ok(result | (i64::from(b) << shift));
            }
            result |= i64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                if b & 0x40 != 0 && shift + 7 < 64 {
                    result |= -1i64 << (shift + 7);
                }
                return Ok(result);
            }
        }
        Err(GuardError::BadLeb128 { field })
    }
}
