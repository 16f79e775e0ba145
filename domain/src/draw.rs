//! The double random draw (双随机, R-RAND-1..3) as a pure function of its published
//! inputs and a revealed seed, so that anyone can re-run it and get the same result.
//!
//! * The inputs ([`DrawInputs`]: the spot-check item, the target population, the
//!   officer directory, declared conflicts, the last team of each target, the draw
//!   and due dates) are put in canonical order ([`DrawInputs::canonicalize`]) and
//!   serialized as JSON; [`DrawInputs::hash`] is the SHA-256 of those bytes.
//! * The seed is 32 random bytes committed before the draw as `SHA-256(seed)`
//!   ([`seed_commitment`]) and revealed with the result. An optional public entropy
//!   string (e.g. a witnessed dice roll or a lottery number, known only after the
//!   commitment) is mixed in, so the server cannot grind seeds.
//! * The random stream is ChaCha20 keyed with
//!   `SHA-256("liuhen-draw/1" 0x00 ‖ seed ‖ inputs_hash ‖ SHA-256(entropy))`;
//!   integers below `n` are drawn by rejection sampling on `next_u64`
//!   ([`uniform`]), which depends on nothing but the ChaCha20 key stream.
//! * Targets: `k = ⌈n × ratio⌉` by a partial Fisher–Yates shuffle of the population
//!   sorted by id. Teams: for each drawn target in draw order, two officers whose
//!   certificate covers the item's category and the target's area for the whole
//!   window from draw date to due date (R-SCENE-1), without a declared conflict
//!   (R-RAND-2); officers of the target's last inspection are avoided when others
//!   are eligible; among the remaining, the least loaded so far, ties broken at
//!   random. A target that cannot get two such officers is reported with the reason;
//!   no rule is ever relaxed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{CertificateProblem, Officer, TargetKind};

/// Version tag of the inputs format and the algorithm; part of the RNG key.
pub const FORMAT: &str = "liuhen-draw/1";

/// Basis points in 100 %.
pub const FULL_RATIO_BP: u32 = 10_000;

/// An item of the random spot-check list (随机抽查事项清单, R-PRE-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpotCheckItem {
    /// Item code in the agency's list (事项编码).
    pub code: String,
    /// Item name (事项名称).
    pub name: String,
    /// Checking body (抽查主体).
    pub checking_body: String,
    /// Legal basis (抽查依据).
    pub legal_basis: String,
    /// Enforcement category certificates must cover (执法类别); also the category
    /// of the targets in the population.
    pub category: String,
    /// Population filter: target kinds (empty: every kind).
    pub target_kinds: Vec<TargetKind>,
    /// Population filter: areas (division codes; a code ending in 00 covers its
    /// subdivisions; empty: every area).
    pub target_areas: Vec<String>,
    /// What is checked (抽查内容).
    pub content: String,
    /// Share of the population drawn, in basis points (500 = 5 %; 抽查比例).
    pub ratio_bp: u32,
    /// How it is checked (抽查方式), e.g. 现场检查.
    pub method: String,
    /// How often (抽查频次), e.g. 每年一次.
    pub frequency: String,
}

fn kind_text(k: TargetKind) -> &'static str {
    match k {
        TargetKind::Organisation => "organisation",
        TargetKind::IndividualBusiness => "individual_business",
        TargetKind::NaturalPerson => "natural_person",
    }
}

/// Whether a division-code area entry covers `area` (same rule as certificates:
/// equal, or a code whose trailing `00`s cover the subdivisions).
pub fn area_covers(entry: &str, area: &str) -> bool {
    if entry == area {
        return true;
    }
    let trimmed = entry.trim_end_matches("00");
    let is_code = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    is_code(entry)
        && is_code(area)
        && !trimmed.is_empty()
        && area.len() > trimmed.len()
        && area.starts_with(trimmed)
}

impl SpotCheckItem {
    /// Whether a target belongs to the item's population.
    pub fn in_population(&self, t: &DrawTarget) -> bool {
        t.category == self.category
            && (self.target_kinds.is_empty() || self.target_kinds.contains(&t.kind))
            && (self.target_areas.is_empty()
                || self.target_areas.iter().any(|a| area_covers(a, &t.area)))
    }

    /// The ratio as text, e.g. `5%`, `12.5%`.
    pub fn ratio_text(&self) -> String {
        let whole = self.ratio_bp / 100;
        let frac = self.ratio_bp % 100;
        if frac == 0 {
            format!("{whole}%")
        } else if frac.is_multiple_of(10) {
            format!("{whole}.{}%", frac / 10)
        } else {
            format!("{whole}.{frac:02}%")
        }
    }
}

/// A target of the population as published with a draw: no address, no ID number,
/// and a natural person's name masked (R-POST-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawTarget {
    /// Directory id.
    pub id: String,
    /// Public name (a natural person's is masked, e.g. 刘某).
    pub name: String,
    /// Legal form.
    pub kind: TargetKind,
    /// 统一社会信用代码 (organisations and individual businesses only).
    pub credit_code: Option<String>,
    /// Enforcement category.
    pub category: String,
    /// Area (division code).
    pub area: String,
}

/// A declared conflict of interest (回避): the officer may not inspect the target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ConflictPair {
    /// Officer id.
    pub officer_id: String,
    /// Target id.
    pub target_id: String,
}

/// Who inspected a target last time (avoided where possible).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastTeam {
    /// Target id.
    pub target_id: String,
    /// Officer ids, sorted.
    pub officer_ids: Vec<String>,
}

/// Everything a draw depends on besides the seed; published with the draw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrawInputs {
    /// [`FORMAT`].
    pub format: String,
    /// Agency id.
    pub agency_id: String,
    /// Day of the draw (China time).
    pub draw_date: NaiveDate,
    /// Last day of the inspections; certificates must be valid through it.
    pub due_date: NaiveDate,
    /// The item drawn for.
    pub item: SpotCheckItem,
    /// The item's population, sorted by id.
    pub targets: Vec<DrawTarget>,
    /// The officer directory (执法检查人员名录库, public roster data), sorted by id.
    pub officers: Vec<Officer>,
    /// Declared conflicts, sorted.
    pub conflicts: Vec<ConflictPair>,
    /// Last inspection team per target, sorted by target id.
    pub last_teams: Vec<LastTeam>,
}

/// Why inputs cannot be drawn from (user errors with rule IDs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum DrawError {
    /// The population is empty.
    #[error("R-RAND-1: 检查对象名录库中没有符合抽查事项“{item}”抽查对象范围的检查对象，无法抽取")]
    EmptyPopulation {
        /// Item name.
        item: String,
    },
    /// The ratio is 0 or above 100 %.
    #[error("R-PRE-3: 抽查比例应大于 0 且不超过 100%，实际为 {ratio}")]
    BadRatio {
        /// The ratio as text.
        ratio: String,
    },
    /// The due date is before the draw date.
    #[error("检查截止日期 {due_date} 早于抽取日期 {draw_date}")]
    BadDates {
        /// Draw date.
        draw_date: NaiveDate,
        /// Due date.
        due_date: NaiveDate,
    },
    /// A record is listed twice.
    #[error("抽取输入中{what}编号 {id} 重复")]
    Duplicate {
        /// What kind of record.
        what: String,
        /// Its id.
        id: String,
    },
    /// A target of the inputs is outside the item's population.
    #[error("R-RAND-1: 检查对象 {id} 不属于抽查事项“{item}”的抽查对象范围")]
    OutsidePopulation {
        /// Target id.
        id: String,
        /// Item name.
        item: String,
    },
    /// The inputs do not carry this algorithm's format tag.
    #[error("抽取输入格式为“{found}”，本程序只支持“{FORMAT}”")]
    UnknownFormat {
        /// Format found.
        found: String,
    },
}

impl DrawInputs {
    /// Puts every list in canonical order (targets, officers by id; conflicts;
    /// last teams by target; lists inside records sorted and deduplicated).
    pub fn canonicalize(&mut self) {
        self.item.target_kinds.sort_by_key(|k| kind_text(*k));
        self.item.target_kinds.dedup();
        self.item.target_areas.sort();
        self.item.target_areas.dedup();
        self.targets.sort_by(|a, b| a.id.cmp(&b.id));
        for o in &mut self.officers {
            o.categories.sort();
            o.categories.dedup();
            o.areas.sort();
            o.areas.dedup();
        }
        self.officers.sort_by(|a, b| a.id.cmp(&b.id));
        self.conflicts.sort();
        self.conflicts.dedup();
        for t in &mut self.last_teams {
            t.officer_ids.sort();
            t.officer_ids.dedup();
        }
        self.last_teams
            .sort_by(|a, b| a.target_id.cmp(&b.target_id));
    }

    /// The canonical bytes (JSON of the canonicalized inputs).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut c = self.clone();
        c.canonicalize();
        // Serializing plain structs, strings, integers and dates cannot fail.
        serde_json::to_vec(&c).unwrap_or_default()
    }

    /// SHA-256 (hex) of [`DrawInputs::canonical_bytes`].
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_bytes()))
    }

    /// Checks the inputs can be drawn from.
    pub fn check(&self) -> Result<(), DrawError> {
        if self.format != FORMAT {
            return Err(DrawError::UnknownFormat {
                found: self.format.clone(),
            });
        }
        if self.item.ratio_bp == 0 || self.item.ratio_bp > FULL_RATIO_BP {
            return Err(DrawError::BadRatio {
                ratio: self.item.ratio_text(),
            });
        }
        if self.due_date < self.draw_date {
            return Err(DrawError::BadDates {
                draw_date: self.draw_date,
                due_date: self.due_date,
            });
        }
        if self.targets.is_empty() {
            return Err(DrawError::EmptyPopulation {
                item: self.item.name.clone(),
            });
        }
        let mut seen = HashSet::new();
        for t in &self.targets {
            if !seen.insert(t.id.as_str()) {
                return Err(DrawError::Duplicate {
                    what: "检查对象".into(),
                    id: t.id.clone(),
                });
            }
            if !self.item.in_population(t) {
                return Err(DrawError::OutsidePopulation {
                    id: t.id.clone(),
                    item: self.item.name.clone(),
                });
            }
        }
        let mut seen = HashSet::new();
        for o in &self.officers {
            if !seen.insert(o.id.as_str()) {
                return Err(DrawError::Duplicate {
                    what: "执法人员".into(),
                    id: o.id.clone(),
                });
            }
        }
        Ok(())
    }

    /// How many targets the ratio draws: `⌈n × ratio_bp / 10000⌉`.
    pub fn sample_size(&self) -> usize {
        let n = self.targets.len() as u64;
        (n * u64::from(self.item.ratio_bp)).div_ceil(u64::from(FULL_RATIO_BP)) as usize
    }
}

/// `SHA-256(seed)` as hex: published before the draw.
pub fn seed_commitment(seed: &[u8; 32]) -> String {
    hex::encode(Sha256::digest(seed))
}

/// Parses a 64-hex-digit seed.
pub fn parse_seed(hex_seed: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(hex_seed.trim()).ok()?;
    bytes.try_into().ok()
}

/// The ChaCha20 key of a draw.
pub fn rng_key(seed: &[u8; 32], inputs_hash: &str, public_entropy: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(FORMAT.as_bytes());
    h.update([0u8]);
    h.update(seed);
    h.update(hex::decode(inputs_hash).unwrap_or_else(|_| inputs_hash.as_bytes().to_vec()));
    h.update(Sha256::digest(public_entropy.as_bytes()));
    h.finalize().into()
}

/// A uniform integer in `0..n` (`n > 0`) by rejection sampling on `next_u64`:
/// values at or above the largest multiple of `n` are thrown away.
pub fn uniform(rng: &mut ChaCha20Rng, n: u64) -> u64 {
    debug_assert!(n > 0);
    let n = n.max(1);
    let limit = u64::MAX - (u64::MAX % n);
    loop {
        let x = rng.next_u64();
        if x < limit {
            return x % n;
        }
    }
}

/// Why a drawn target got no team (nothing is relaxed: it is reported instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShortfallKind {
    /// Fewer than two officers hold a certificate covering category, area and dates.
    NotEnoughCertified,
    /// Enough certified officers, but too few without a declared conflict.
    Conflicted,
}

/// A drawn target that could not be staffed, and exactly why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortfall {
    /// Kind.
    pub kind: ShortfallKind,
    /// Officers whose certificate covers the target (R-SCENE-1).
    pub certified: Vec<String>,
    /// Of those, the ones with a declared conflict (R-RAND-2).
    pub conflicted: Vec<String>,
    /// How many officers were excluded for each certificate problem.
    pub excluded: BTreeMap<String, usize>,
    /// The message, citing the rule.
    pub message: String,
}

/// One drawn target and its team (or shortfall).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawnTarget {
    /// Draw order, from 1.
    pub seq: u32,
    /// Target id.
    pub target_id: String,
    /// The two officers (empty when `shortfall` is set).
    pub officer_ids: Vec<String>,
    /// Officers of the last inspection drawn again because no one else was eligible.
    pub repeats_last_team: Vec<String>,
    /// Why no team could be formed.
    pub shortfall: Option<Shortfall>,
}

/// The result of a draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawOutcome {
    /// Size of the population.
    pub population: usize,
    /// Targets drawn (`⌈population × ratio⌉`), in draw order.
    pub drawn: Vec<DrawnTarget>,
    /// Number of targets staffed with a team.
    pub staffed: usize,
    /// Number of targets that could not be staffed.
    pub unstaffed: usize,
}

fn problem_key(p: &CertificateProblem) -> &'static str {
    match p {
        CertificateProblem::NotActive { .. } => "证件暂扣或注销",
        CertificateProblem::OutOfDate { .. } => "证件不在抽查期间内全程有效",
        CertificateProblem::CategoryNotCovered { .. } => "执法类别不符",
        CertificateProblem::AreaNotCovered { .. } => "执法区域不符",
    }
}

/// Certificate check for the whole window (validity is an interval, so both ends
/// suffice).
fn window_check(
    o: &Officer,
    from: NaiveDate,
    to: NaiveDate,
    category: &str,
    area: &str,
) -> Result<(), CertificateProblem> {
    o.certificate_check(from, category, area)?;
    o.certificate_check(to, category, area)
}

/// Runs the draw. Pure: the same inputs, seed and entropy give the same outcome.
pub fn run(
    inputs: &DrawInputs,
    seed: &[u8; 32],
    public_entropy: &str,
) -> Result<DrawOutcome, DrawError> {
    let mut inputs = inputs.clone();
    inputs.canonicalize();
    inputs.check()?;
    let hash = inputs.hash();
    let mut rng = ChaCha20Rng::from_seed(rng_key(seed, &hash, public_entropy));

    // Targets: partial Fisher–Yates over the population sorted by id.
    let n = inputs.targets.len();
    let k = inputs.sample_size().min(n);
    let mut order: Vec<usize> = (0..n).collect();
    for i in 0..k {
        let j = i + uniform(&mut rng, (n - i) as u64) as usize;
        order.swap(i, j);
    }

    // Officers certified for the category over the whole window, grouped by the
    // areas asked about (few areas, many targets).
    let item = &inputs.item;
    let conflicts: HashMap<&str, HashSet<&str>> =
        inputs.conflicts.iter().fold(HashMap::new(), |mut m, c| {
            m.entry(c.target_id.as_str())
                .or_default()
                .insert(c.officer_id.as_str());
            m
        });
    let last: HashMap<&str, &[String]> = inputs
        .last_teams
        .iter()
        .map(|t| (t.target_id.as_str(), t.officer_ids.as_slice()))
        .collect();
    type AreaInfo = (Vec<usize>, BTreeMap<String, usize>);
    let mut by_area: HashMap<&str, AreaInfo> = HashMap::new();
    let mut load = vec![0u32; inputs.officers.len()];

    let mut drawn = Vec::with_capacity(k);
    let mut staffed = 0;
    for (seq, &ti) in order[..k].iter().enumerate() {
        let target = &inputs.targets[ti];
        let (certified, excluded) = by_area.entry(target.area.as_str()).or_insert_with(|| {
            let mut ok = Vec::new();
            let mut excluded = BTreeMap::new();
            for (i, o) in inputs.officers.iter().enumerate() {
                match window_check(
                    o,
                    inputs.draw_date,
                    inputs.due_date,
                    &item.category,
                    &target.area,
                ) {
                    Ok(()) => ok.push(i),
                    Err(p) => *excluded.entry(problem_key(&p).to_string()).or_insert(0) += 1,
                }
            }
            (ok, excluded)
        });
        let conflicted_here = conflicts.get(target.id.as_str());
        let mut eligible = Vec::with_capacity(certified.len());
        let mut conflicted = Vec::new();
        for &i in certified.iter() {
            let id = inputs.officers[i].id.as_str();
            if conflicted_here.is_some_and(|c| c.contains(id)) {
                conflicted.push(id.to_string());
            } else {
                eligible.push(i);
            }
        }
        let seq = seq as u32 + 1;
        if eligible.len() < 2 {
            let certified_ids: Vec<String> = certified
                .iter()
                .map(|&i| inputs.officers[i].id.clone())
                .collect();
            let (kind, message) = if certified.len() < 2 {
                let detail = excluded
                    .iter()
                    .map(|(k, v)| format!("{k} {v} 名"))
                    .collect::<Vec<_>>()
                    .join("，");
                (
                    ShortfallKind::NotEnoughCertified,
                    format!(
                        "R-SCENE-1: 执法类别含“{}”、执法区域覆盖 {}、证件在 {} 至 {} 全程有效的执法人员只有 {} 名，需要 2 名（其余人员：{}）",
                        item.category,
                        target.area,
                        inputs.draw_date,
                        inputs.due_date,
                        certified.len(),
                        if detail.is_empty() {
                            "无".to_string()
                        } else {
                            detail
                        }
                    ),
                )
            } else {
                let names: Vec<String> = conflicted
                    .iter()
                    .filter_map(|id| inputs.officers.iter().find(|o| &o.id == id))
                    .map(|o| format!("{}（{}）", o.name, o.certificate_no))
                    .collect();
                (
                    ShortfallKind::Conflicted,
                    format!(
                        "R-RAND-2: 符合 R-SCENE-1 的 {} 名执法人员中，{} 已申报与该检查对象回避，剩余 {} 名，不足两名",
                        certified.len(),
                        names.join("、"),
                        eligible.len()
                    ),
                )
            };
            drawn.push(DrawnTarget {
                seq,
                target_id: target.id.clone(),
                officer_ids: vec![],
                repeats_last_team: vec![],
                shortfall: Some(Shortfall {
                    kind,
                    certified: certified_ids,
                    conflicted,
                    excluded: excluded.clone(),
                    message,
                }),
            });
            continue;
        }
        let last_team: BTreeSet<&str> = last
            .get(target.id.as_str())
            .map(|l| l.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let mut team: Vec<usize> = Vec::with_capacity(2);
        let mut repeats = Vec::new();
        for _ in 0..2 {
            let free: Vec<usize> = eligible
                .iter()
                .copied()
                .filter(|i| !team.contains(i))
                .collect();
            let fresh: Vec<usize> = free
                .iter()
                .copied()
                .filter(|&i| !last_team.contains(inputs.officers[i].id.as_str()))
                .collect();
            let pool = if fresh.is_empty() { &free } else { &fresh };
            let min = pool.iter().map(|&i| load[i]).min().unwrap_or(0);
            let tied: Vec<usize> = pool.iter().copied().filter(|&i| load[i] == min).collect();
            let pick = tied[uniform(&mut rng, tied.len() as u64) as usize];
            if fresh.is_empty() {
                repeats.push(inputs.officers[pick].id.clone());
            }
            load[pick] += 1;
            team.push(pick);
        }
        staffed += 1;
        drawn.push(DrawnTarget {
            seq,
            target_id: target.id.clone(),
            officer_ids: team
                .iter()
                .map(|&i| inputs.officers[i].id.clone())
                .collect(),
            repeats_last_team: repeats,
            shortfall: None,
        });
    }
    Ok(DrawOutcome {
        population: n,
        unstaffed: drawn.len() - staffed,
        drawn,
        staffed,
    })
}
