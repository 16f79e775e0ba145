//! A small structure-unaware mutator for the stable replay (CI has no libFuzzer):
//! byte flips, interesting LEB128 numbers written over or into the input, range
//! deletes and duplicates, and splices between corpus entries. Deterministic from
//! a seed, so a failure in CI can be replayed here.

/// xorshift64* — enough randomness for mutations, no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced by a constant).
    pub fn new(seed: u64) -> Self {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Numbers that sit on or beyond the guard's limits and automerge's edge cases.
const INTERESTING: &[u64] = &[
    0,
    1,
    2,
    7,
    10,
    20,
    21,
    32,
    33,
    63,
    64,
    127,
    128,
    255,
    256,
    1023,
    1024,
    1025,
    4096,
    10_000,
    10_001,
    100_000,
    100_001,
    1 << 20,
    (1 << 20) + 1,
    60_000_000,
    u32::MAX as u64,
    1 << 32,
    i64::MAX as u64,
    1 << 63,
    u64::MAX,
];

fn uleb(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// Length in bytes of the LEB128 number starting at `at` (at most 10).
fn leb_len(data: &[u8], at: usize) -> usize {
    data[at..]
        .iter()
        .take(10)
        .position(|b| b & 0x80 == 0)
        .map_or(1, |p| p + 1)
}

/// Applies one to eight random mutations to `input`; `other` is another corpus
/// entry for splicing. The result is at most `max_len` bytes.
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8], max_len: usize) -> Vec<u8> {
    let mut data = input.to_vec();
    let rounds = 1 + rng.below(8);
    for _ in 0..rounds {
        if data.is_empty() {
            data.push(rng.next_u64() as u8);
            continue;
        }
        let at = rng.below(data.len());
        match rng.below(10) {
            0 => data[at] ^= 1 << rng.below(8),
            1 => data[at] = rng.next_u64() as u8,
            2 => {
                // Replace a LEB128 number with an interesting one.
                let old = leb_len(&data, at);
                let new = uleb(INTERESTING[rng.below(INTERESTING.len())]);
                data.splice(at..at + old, new);
            }
            3 => {
                let new = uleb(INTERESTING[rng.below(INTERESTING.len())]);
                data.splice(at..at, new);
            }
            4 => {
                let n = 1 + rng.below(16.min(data.len() - at));
                data.drain(at..at + n);
            }
            5 => {
                let n = 1 + rng.below(64.min(data.len() - at));
                let copy = data[at..at + n].to_vec();
                let to = rng.below(data.len() + 1);
                data.splice(to..to, copy);
            }
            6 => data.truncate(at),
            7 => {
                // Splice: our head, the other entry's tail.
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    data.truncate(at);
                    data.extend_from_slice(&other[from..]);
                }
            }
            8 => {
                let n = 1 + rng.below(8);
                for _ in 0..n {
                    data.insert(at, rng.next_u64() as u8);
                }
            }
            _ => {
                // Set a byte to a boundary value.
                const BYTES: &[u8] = &[0x00, 0x01, 0x02, 0x03, 0x42, 0x43, 0x7f, 0x80, 0xff];
                data[at] = BYTES[rng.below(BYTES.len())];
            }
        }
    }
    data.truncate(max_len);
    data
}
