//! Who may write what in an inspection document, and in which state (R-REC-5).
//!
//! A device's changes are untrusted input to the server. This module judges them
//! operation by operation, in causal order, against the state of the record *that
//! change's author saw*: its causal past (its dependencies, transitively) plus the
//! earlier operations of the same change. Judging the history rather than the
//! merged result catches a write that lost a concurrent conflict or was undone
//! later in the same batch, both of which would still sit in the record's history.
//!
//! The rules (each refusal names its rule ID; see `docs/sync-protocol.md`):
//! - nothing is ever deleted, and no text objects, counters or marks are written;
//! - the root and `schema_version` are the schema chain's ([`crate::doc`]);
//! - `meta` is written once, in the change that opens the record, by the officer of
//!   the device (`opened_by`, `device_id`); it never changes afterwards;
//! - `team` only grows: an entry is written in the change that appends it, with
//!   the writing device's id (R-SCENE-2);
//! - a capture position (`team[].location`, `evidence[].lat`/`lon`/`accuracy_m`/
//!   `fixed_at`) is written with its entry, numbers in range, the fix time as
//!   integer milliseconds (R-REC-3);
//! - the identity and rights notices (R-SCENE-3, R-SCENE-4) are given while the
//!   record is open by the officer of the device; only that device re-gives them;
//! - findings are appended while open with their author the officer of the device
//!   that wrote them; later only the author changes the text, and only while open;
//! - evidence references are appended with `captured_by`/`device_id` of the writer;
//!   after close only with step `amendment`;
//! - `closure` is written once while open, `closed_by` the officer of the device;
//! - after close only amendments (and their evidence) are appended;
//! - `review` is written by supervisors on the server only (R-REC-1);
//! - while open only the opener, a team member or an officer of the task writes.

use std::collections::{BTreeSet, HashMap, HashSet};

use automerge::legacy::{Key, ObjectId, OpId, OpType};
use automerge::{ActorId, Change, ChangeHash, ObjType, ScalarValue};

/// How one change is to be judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judge {
    /// Written by a party the rules do not bind (the schema chain, a supervisor on
    /// the server, or a change already accepted); it only informs the state.
    Trusted,
    /// Written by an enrolled device: every rule applies.
    Device(DeviceAuthor),
    /// Written by an actor nobody registered (reported as such by audits).
    Unknown,
}

/// The officer and device a device change is attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthor {
    /// Roster officer id of the enrolled account.
    pub officer_id: String,
    /// Device id given at enrolment.
    pub device_id: String,
}

/// A change that breaks a write rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The offending change.
    pub change: ChangeHash,
    /// Its actor (hex).
    pub actor: String,
    /// The officer it is attributed to, if known.
    pub officer_id: Option<String>,
    /// The change's own time (seconds since the epoch, device clock).
    pub time: i64,
    /// Whether the author had seen the record closed.
    pub after_closure: bool,
    /// Rule ID, e.g. `R-REC-5`.
    pub rule: &'static str,
    /// Chinese explanation, starting with the rule ID.
    pub message: String,
}

/// What the rules need to know about the record besides its history.
#[derive(Debug, Clone, Default)]
pub struct RecordContext {
    /// Officers of the record's task on the server's roster (may write while open).
    pub task_officers: Vec<String>,
}

/// Where an object sits in the inspection schema.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Meta,
    Team,
    TeamEntry,
    TeamLocation,
    IdentityNotice,
    Findings,
    Finding { author: Option<String> },
    RecordEvidence,
    EvidenceList,
    EvidenceEntry,
    RightsNotice,
    Closure,
    Amendments,
    Amendment,
    Review,
    Other(String),
}

impl Kind {
    fn root(key: &str) -> Kind {
        match key {
            "meta" => Kind::Meta,
            "team" => Kind::Team,
            "identity_notice" => Kind::IdentityNotice,
            "findings" => Kind::Findings,
            "evidence" => Kind::EvidenceList,
            "rights_notice" => Kind::RightsNotice,
            "closure" => Kind::Closure,
            "amendments" => Kind::Amendments,
            "review" => Kind::Review,
            other => Kind::Other(other.to_string()),
        }
    }

    fn label(&self) -> String {
        match self {
            Kind::Meta => "meta".into(),
            Kind::Team => "team".into(),
            Kind::TeamEntry => "team[]".into(),
            Kind::TeamLocation => "team[].location".into(),
            Kind::IdentityNotice => "identity_notice".into(),
            Kind::Findings => "findings".into(),
            Kind::Finding { .. } => "findings[]".into(),
            Kind::RecordEvidence => "findings[].evidence".into(),
            Kind::EvidenceList => "evidence".into(),
            Kind::EvidenceEntry => "evidence[]".into(),
            Kind::RightsNotice => "rights_notice".into(),
            Kind::Closure => "closure".into(),
            Kind::Amendments => "amendments".into(),
            Kind::Amendment => "amendments[]".into(),
            Kind::Review => "review".into(),
            Kind::Other(p) => p.clone(),
        }
    }
}

/// Facts about the record that only ever grow along the history; the facts a
/// change saw are the join of its dependencies' facts.
#[derive(Debug, Clone, Default)]
struct Facts {
    opened: bool,
    opener: Option<String>,
    team: BTreeSet<String>,
    closed: bool,
}

impl Facts {
    fn join(&mut self, other: &Facts) {
        self.opened |= other.opened;
        if self.opener.is_none() {
            self.opener.clone_from(&other.opener);
        }
        self.team.extend(other.team.iter().cloned());
        self.closed |= other.closed;
    }
}

/// Judges `changes` (a document's history in causal order, as
/// `AutoCommit::get_changes(&[])` returns it) and returns every violation of the
/// write rules by the changes `judge` marks [`Judge::Device`] or [`Judge::Unknown`].
pub fn check_history(
    changes: &[Change],
    ctx: &RecordContext,
    mut judge: impl FnMut(&Change) -> Judge,
) -> Vec<Violation> {
    let mut model = Model::default();
    let mut out = vec![];
    for change in changes {
        let verdict = judge(change);
        if let Some(v) = model.apply(change, &verdict, ctx) {
            out.push(v);
        }
    }
    out
}

/// Judges the changes a device just sent: `all` is the merged history, `new` the
/// hashes of the changes that were not on the server before. Returns the first
/// violation, if any. Changes not in `new` are trusted (already accepted).
pub fn check_new_changes(
    all: &[Change],
    new: &BTreeSet<ChangeHash>,
    author: &DeviceAuthor,
    schema: &BTreeSet<ChangeHash>,
    ctx: &RecordContext,
) -> Option<Violation> {
    check_history(all, ctx, |c| {
        let h = c.hash();
        if new.contains(&h) && !schema.contains(&h) {
            Judge::Device(author.clone())
        } else {
            Judge::Trusted
        }
    })
    .into_iter()
    .next()
}

#[derive(Default)]
struct Model {
    index: HashMap<ChangeHash, usize>,
    facts_after: Vec<Facts>,
    objects: HashMap<OpId, Kind>,
}

/// The verdict on one operation: `Err((rule, message))` refuses the change.
type OpResult = Result<(), (&'static str, String)>;

fn refuse(rule: &'static str, message: impl Into<String>) -> OpResult {
    Err((rule, message.into()))
}

fn str_of(v: &ScalarValue) -> Option<&str> {
    match v {
        ScalarValue::Str(s) => Some(s.as_str()),
        _ => None,
    }
}

impl Model {
    /// Applies one change to the model, judging it first if it is not trusted.
    fn apply(
        &mut self,
        change: &Change,
        verdict: &Judge,
        ctx: &RecordContext,
    ) -> Option<Violation> {
        let mut before = Facts::default();
        for dep in change.deps() {
            if let Some(&i) = self.index.get(dep) {
                before.join(&self.facts_after[i]);
            }
        }
        let expanded = change.decode();
        let actor = change.actor_id().clone();
        let start = change.start_op().get();
        let mut after = before.clone();
        let mut created_here: HashSet<OpId> = HashSet::new();
        let mut first_error: Option<(&'static str, String)> = None;

        for (n, op) in expanded.operations.iter().enumerate() {
            let id = OpId(start + n as u64, actor.clone());
            let parent = match &op.obj {
                ObjectId::Root => None,
                ObjectId::Id(o) => Some(o.clone()),
            };
            let kind = match &parent {
                None => None,
                Some(o) => Some(
                    self.objects
                        .get(o)
                        .cloned()
                        .unwrap_or(Kind::Other("未知对象".into())),
                ),
            };
            if first_error.is_none()
                && let Judge::Device(author) = verdict
                && let Err(e) = judge_op(
                    op,
                    kind.as_ref(),
                    parent.as_ref().is_some_and(|p| created_here.contains(p)),
                    &actor,
                    author,
                    &before,
                )
            {
                first_error = Some(e);
            }
            // Update the model whatever the verdict, so later changes are read right.
            let key = match &op.key {
                Key::Map(k) => Some(k.as_str()),
                Key::Seq(_) => None,
            };
            if let OpType::Make(t) = &op.action {
                let new_kind = match (&kind, key, op.insert) {
                    (None, Some(k), _) => Kind::root(k),
                    (Some(Kind::Team), None, true) if *t == ObjType::Map => Kind::TeamEntry,
                    (Some(Kind::TeamEntry), Some("location"), false) if *t == ObjType::Map => {
                        Kind::TeamLocation
                    }
                    (Some(Kind::Findings), None, true) if *t == ObjType::Map => {
                        Kind::Finding { author: None }
                    }
                    (Some(Kind::EvidenceList), None, true) if *t == ObjType::Map => {
                        Kind::EvidenceEntry
                    }
                    (Some(Kind::Amendments), None, true) if *t == ObjType::Map => Kind::Amendment,
                    (Some(Kind::Finding { .. } | Kind::Amendment), Some("evidence"), false) => {
                        Kind::RecordEvidence
                    }
                    (Some(Kind::Review), _, _) => Kind::Review,
                    (Some(k), _, _) => Kind::Other(format!("{}.*", k.label())),
                    (None, None, _) => Kind::Other("根对象".into()),
                };
                self.objects.insert(id.clone(), new_kind);
                created_here.insert(id);
            } else if let (OpType::Put(v), Some(k)) = (&op.action, key) {
                match (&kind, k, str_of(v)) {
                    (Some(Kind::Meta), "id", _) => after.opened = true,
                    (Some(Kind::Meta), "opened_by", Some(o)) => after.opener = Some(o.to_string()),
                    (Some(Kind::TeamEntry), "officer_id", Some(o)) => {
                        after.team.insert(o.to_string());
                    }
                    (Some(Kind::Closure), "closed_at", _) => after.closed = true,
                    (Some(Kind::Finding { .. }), "author", Some(a)) => {
                        if let Some(p) = &parent {
                            self.objects.insert(
                                p.clone(),
                                Kind::Finding {
                                    author: Some(a.to_string()),
                                },
                            );
                        }
                    }
                    _ => {}
                }
            }
        }

        // While open only the record's officers write (R-SCENE-2); a device may
        // check its own officer in with the same change.
        if first_error.is_none()
            && let Judge::Device(author) = verdict
            && !expanded.operations.is_empty()
        {
            let o = &author.officer_id;
            let member = after.opener.as_deref() == Some(o.as_str())
                || after.team.contains(o)
                || ctx.task_officers.iter().any(|t| t == o);
            if !member {
                first_error = Some((
                    "R-SCENE-2",
                    format!("R-SCENE-2: 执法人员 {o} 不是该检查记录的检查人员，不能写入该记录"),
                ));
            }
        }

        let hash = change.hash();
        self.index.insert(hash, self.facts_after.len());
        self.facts_after.push(after);

        let officer_id = match verdict {
            Judge::Device(a) => Some(a.officer_id.clone()),
            _ => None,
        };
        let (rule, message) = match (verdict, first_error) {
            (Judge::Device(_), Some(e)) => e,
            (Judge::Unknown, _) if !expanded.operations.is_empty() => (
                "R-REC-5",
                format!(
                    "R-REC-5: 修改的作者 {} 不是登记过的设备或审核人员",
                    actor.to_hex_string()
                ),
            ),
            _ => return None,
        };
        Some(Violation {
            change: hash,
            actor: actor.to_hex_string(),
            officer_id,
            time: change.timestamp(),
            after_closure: before.closed,
            rule,
            message,
        })
    }
}

/// The keys of a capture position, on a check-in's `location` and on evidence.
const LOCATION_KEYS: [&str; 4] = ["lat", "lon", "accuracy_m", "fixed_at"];

/// Judges a value written at a location key (R-REC-3): `lat`, `lon` and
/// `accuracy_m` numbers within their ranges, `fixed_at` integer milliseconds.
/// Whether the fix time fits the capture time is checked on the merged record
/// ([`crate::inspection::Inspection::location_problem`]).
fn location_value(key: &str, path: &str, action: &OpType) -> OpResult {
    let value = match action {
        OpType::Put(v) => v,
        _ => {
            return refuse("R-REC-3", format!("R-REC-3: {path}.{key} 必须是普通数值"));
        }
    };
    let field: &'static str = match key {
        "lat" => "lat",
        "lon" => "lon",
        "accuracy_m" => "accuracy_m",
        "fixed_at" => {
            return match value {
                ScalarValue::Int(t) if chrono::DateTime::from_timestamp_millis(*t).is_some() => {
                    Ok(())
                }
                _ => refuse(
                    "R-REC-3",
                    format!("R-REC-3: {path}.fixed_at 必须是整数毫秒时间（Unix 纪元起）"),
                ),
            };
        }
        _ => return Ok(()),
    };
    let number = match value {
        ScalarValue::F64(f) => *f,
        ScalarValue::Int(i) => *i as f64,
        ScalarValue::Uint(u) => *u as f64,
        _ => {
            return refuse("R-REC-3", format!("R-REC-3: {path}.{key} 必须是数值"));
        }
    };
    crate::inspection::check_location_number(field, number)
        .or_else(|p| refuse("R-REC-3", format!("{}（{path}.{key}）", p.reason)))
}

/// Judges one operation of a device change.
fn judge_op(
    op: &automerge::legacy::Op,
    kind: Option<&Kind>,
    in_new_object: bool,
    actor: &ActorId,
    author: &DeviceAuthor,
    before: &Facts,
) -> OpResult {
    let o = author.officer_id.as_str();
    let path = kind.map(Kind::label).unwrap_or_else(|| "根对象".into());
    let key = match &op.key {
        Key::Map(k) => k.as_str().to_string(),
        Key::Seq(_) => String::new(),
    };
    let field = if key.is_empty() {
        path.clone()
    } else {
        format!("{path}.{key}")
    };
    match &op.action {
        OpType::Delete => {
            return refuse(
                "R-REC-5",
                format!("R-REC-5: 记录不能删改，设备删除了 {field}；如需更正请追加更正"),
            );
        }
        OpType::Increment(_) | OpType::MarkBegin(_) | OpType::MarkEnd(_) => {
            return refuse(
                "R-REC-5",
                format!("R-REC-5: {field} 中出现了检查记录不使用的修改类型（计数或标记）"),
            );
        }
        OpType::Make(ObjType::Text | ObjType::Table) => {
            return refuse(
                "R-REC-5",
                format!("R-REC-5: {field} 必须是普通字符串，不能是协同文本或表"),
            );
        }
        _ => {}
    }
    let value = match &op.action {
        OpType::Put(v) => Some(v),
        _ => None,
    };
    let is_value = |expected: &str| value.and_then(str_of) == Some(expected);
    let overwrite = !op.pred.is_empty();
    let closed_msg = |what: &str| {
        format!("R-REC-5: 记录已结案，{what}不能再更改；结案后只能追加更正（amendments）")
    };
    let Some(kind) = kind else {
        return refuse(
            "R-REC-5",
            format!("R-REC-5: 文档结构只能由格式链创建，设备不能写入根对象的 {key}"),
        );
    };
    match kind {
        Kind::Meta => {
            if before.opened || overwrite || value.is_none() {
                return refuse(
                    "R-REC-5",
                    format!(
                        "R-REC-5: 检查记录的基本信息（{field}）只在开始检查时写入一次，之后不能更改"
                    ),
                );
            }
            if key == "opened_by" && !is_value(o) {
                return refuse(
                    "R-REC-5",
                    format!("R-REC-5: meta.opened_by 必须是本设备登记的执法人员 {o}"),
                );
            }
            if key == "device_id" && !is_value(&author.device_id) {
                return refuse(
                    "R-REC-5",
                    format!(
                        "R-REC-5: meta.device_id 必须是本设备的编号 {}",
                        author.device_id
                    ),
                );
            }
            Ok(())
        }
        Kind::Team | Kind::Findings | Kind::EvidenceList | Kind::Amendments => {
            let new_map = op.insert && matches!(op.action, OpType::Make(ObjType::Map));
            if !new_map {
                return refuse(
                    "R-REC-5",
                    format!("R-REC-5: {path} 只能追加新的条目，不能改动已有条目"),
                );
            }
            match kind {
                Kind::Amendments if !before.closed => {
                    refuse("R-REC-5", "R-REC-5: 更正（amendments）只能在记录结案后追加")
                }
                Kind::Team if before.closed => refuse("R-REC-5", closed_msg("签到人员")),
                Kind::Findings if before.closed => refuse("R-REC-5", closed_msg("检查发现")),
                _ => Ok(()),
            }
        }
        Kind::TeamEntry
        | Kind::TeamLocation
        | Kind::Finding { .. }
        | Kind::EvidenceEntry
        | Kind::Amendment
        | Kind::RecordEvidence
            if in_new_object =>
        {
            if overwrite {
                return refuse(
                    "R-REC-5",
                    format!("R-REC-5: {field} 在同一次修改中被写了两次"),
                );
            }
            let must_be = |k: &str, expected: &str, what: &str| -> OpResult {
                if key == k && !is_value(expected) {
                    refuse(
                        "R-REC-5",
                        format!("R-REC-5: {path}.{k} 必须是{what} {expected}"),
                    )
                } else {
                    Ok(())
                }
            };
            match kind {
                Kind::TeamEntry => must_be("device_id", &author.device_id, "本设备的编号"),
                Kind::TeamLocation => {
                    if !LOCATION_KEYS.contains(&key.as_str()) {
                        return refuse(
                            "R-REC-3",
                            format!(
                                "R-REC-3: 签到位置（team[].location）只有 lat、lon、accuracy_m、fixed_at，不能写入 {key}"
                            ),
                        );
                    }
                    location_value(&key, &path, &op.action)
                }
                Kind::Finding { .. } | Kind::Amendment => {
                    must_be("author", o, "本设备登记的执法人员")
                }
                Kind::EvidenceEntry => {
                    must_be("captured_by", o, "本设备登记的执法人员")?;
                    must_be("device_id", &author.device_id, "本设备的编号")?;
                    if LOCATION_KEYS.contains(&key.as_str()) {
                        location_value(&key, &path, &op.action)?;
                    }
                    if before.closed && key == "step" && !is_value("amendment") {
                        return refuse(
                            "R-REC-5",
                            "R-REC-5: 记录已结案，只能为更正追加证据（step 应为 amendment）",
                        );
                    }
                    Ok(())
                }
                _ => Ok(()),
            }
        }
        Kind::Finding { author: finder } => {
            if before.closed {
                return refuse("R-REC-5", closed_msg("检查发现"));
            }
            if key != "text" || value.is_none() {
                return refuse(
                    "R-REC-5",
                    format!(
                        "R-REC-5: 检查发现的 {key} 在记录后不能更改，只有内容（text）可由记录人修改"
                    ),
                );
            }
            match finder.as_deref() {
                Some(a) if a == o => Ok(()),
                other => refuse(
                    "R-REC-5",
                    format!(
                        "R-REC-5: 只能修改自己记录的检查发现；该发现由 {} 记录",
                        other.unwrap_or("其他人员")
                    ),
                ),
            }
        }
        Kind::TeamEntry | Kind::TeamLocation => refuse(
            "R-SCENE-2",
            format!("R-SCENE-2: 已签到的执法人员信息（{field}）不能更改"),
        ),
        Kind::EvidenceEntry | Kind::RecordEvidence => refuse(
            "R-REC-5",
            format!("R-REC-5: 证据引用只能追加，不能改动（{field}）"),
        ),
        Kind::Amendment => refuse(
            "R-REC-5",
            format!("R-REC-5: 更正一经记录不能改动（{field}）"),
        ),
        Kind::IdentityNotice | Kind::RightsNotice => {
            let rule = if *kind == Kind::IdentityNotice {
                "R-SCENE-3"
            } else {
                "R-SCENE-4"
            };
            if before.closed {
                return refuse("R-REC-5", closed_msg("告知内容"));
            }
            if value.is_none() {
                return refuse(rule, format!("{rule}: {field} 必须是普通值"));
            }
            if op.pred.iter().any(|p| p.actor() != actor) {
                return refuse(
                    "R-REC-5",
                    format!("R-REC-5: {field} 由其他设备记录，本设备不能改写"),
                );
            }
            if key == "given_by" && !is_value(o) {
                return refuse(
                    rule,
                    format!("{rule}: {path}.given_by 必须是本设备登记的执法人员 {o}"),
                );
            }
            Ok(())
        }
        Kind::Closure => {
            if before.closed || overwrite {
                return refuse("R-REC-5", "R-REC-5: 记录已结案，结案信息不能更改");
            }
            if value.is_none() {
                return refuse("R-REC-5", format!("R-REC-5: {field} 必须是普通值"));
            }
            if key == "closed_by" && !is_value(o) {
                return refuse(
                    "R-REC-5",
                    format!("R-REC-5: closure.closed_by 必须是本设备登记的执法人员 {o}"),
                );
            }
            Ok(())
        }
        Kind::Review => refuse(
            "R-REC-1",
            "R-REC-1: 审核意见只能由审核人员在服务器上填写，设备不能写入 review",
        ),
        Kind::Other(p) => refuse(
            "R-REC-5",
            format!("R-REC-5: 检查记录中没有 {p} 这一项，设备不能写入"),
        ),
    }
}

#[cfg(test)]
mod tests;
