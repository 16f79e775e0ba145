//! Masking of personal data in published decisions (R-POST-2): a natural person's
//! name becomes surname + 某 (刘建华 → 刘某, 欧阳娜娜 → 欧阳某), an ID number or a
//! mobile number anywhere in the published text becomes `[已隐去]`, and the public
//! view of a decision is built only from [`PublicSource`], which never holds a
//! person's ID number or the decision's confidential notes.

use serde::Serialize;

use liuhen_domain::legal::{DecisionKind, PartyKind, yuan};

use crate::storage::publicity::{PublicSource, PublicationRecord};

/// What replaces an ID number or a mobile number in published text.
pub const REDACTED: &str = "[已隐去]";

/// Two-character surnames (复姓) kept whole when a name is masked.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯", "长孙",
    "宇文", "司徒", "端木", "司空", "西门", "南宫", "独孤", "轩辕", "呼延", "申屠", "太史", "澹台",
    "公冶", "宗政", "濮阳", "淳于", "单于", "钟离", "闻人", "万俟", "赫连", "第五", "拓跋", "百里",
    "东郭", "左丘", "谷梁", "段干", "司寇", "鲜于", "闾丘", "仲孙", "公羊", "巫马", "公西", "漆雕",
    "乐正", "壤驷", "公良", "夹谷", "宰父", "颛孙", "子车", "梁丘", "羊舌", "微生", "东门", "南门",
];

/// The public form of a natural person's name (R-POST-2): the surname followed by
/// 某 (`刘建华` → `刘某`, `欧阳娜娜` → `欧阳某`); an empty name → `某某`.
pub fn mask_person_name(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        return "某某".into();
    }
    if let Some(s) = COMPOUND_SURNAMES.iter().find(|s| name.starts_with(**s)) {
        return format!("{s}某");
    }
    let first: String = name.chars().take(1).collect();
    format!("{first}某")
}

/// An ASCII or full-width digit.
pub fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// A character people put between the digits of an ID or a phone number
/// (`4401 0319 …`, `138-0013-8001`, `138—0013—8001`, `138．0013．8001`).
pub fn is_number_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{00A0}'
            | '\u{3000}'
            | '\t'
            | '-'
            | '－'
            | '‐'
            | '‑'
            | '‒'
            | '–'
            | '—'
            | '―'
            | '_'
            | '.'
            | '．'
            | '·'
            | '・'
            | '/'
            | '／'
    )
}

/// At most this many separators in a row still join two digit groups.
const MAX_SEPARATOR_RUN: usize = 3;

fn is_check_x(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ')
}

/// A run of digits possibly broken by separators: char range and digit count.
struct NumberRun {
    start: usize,
    end: usize,
    digits: Vec<char>,
}

/// Finds the digit run starting at `start` (a digit): digits joined by short
/// separator runs, and a trailing check character X after 17 digits.
fn number_run(chars: &[char], start: usize) -> NumberRun {
    let mut digits = vec![];
    let mut i = start;
    let mut end = start;
    loop {
        while i < chars.len() && is_digit(chars[i]) {
            digits.push(chars[i]);
            i += 1;
        }
        end = end.max(i);
        let mut j = i;
        while j < chars.len() && j - i < MAX_SEPARATOR_RUN && is_number_separator(chars[j]) {
            j += 1;
        }
        if j > i && j < chars.len() && is_digit(chars[j]) {
            i = j;
            continue;
        }
        if digits.len() == 17 && j < chars.len() && is_check_x(chars[j]) {
            end = j + 1;
        }
        break;
    }
    NumberRun { start, end, digits }
}

fn ascii_digit(c: char) -> char {
    if ('０'..='９').contains(&c) {
        char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c)
    } else {
        c
    }
}

/// Whether the digits (separators removed, full-width folded) are an ID number
/// (15 or more digits, or 17 + X), a mobile number (11 digits from 1), or a
/// mobile with the country code 86.
fn is_personal_number(digits: &[char], with_x: bool) -> bool {
    let d: String = digits.iter().map(|c| ascii_digit(*c)).collect();
    with_x
        || d.len() >= 15
        || (d.len() == 11 && d.starts_with('1'))
        || (d.len() == 13 && d.starts_with("861"))
}

/// Replaces every run shaped like a PRC ID number (15 or more digits, or 17
/// digits followed by X) or a mobile number (11 digits starting with 1, or
/// +86 and 11 digits) by [`REDACTED`] (R-POST-2). Digits may be full-width and
/// broken by spaces, dashes, dots or slashes (`4401 0319 9003 0712 32`,
/// `138-0013-8001`, `１３８…`): the whole run goes.
pub fn redact_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_digit(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let run = number_run(&chars, i);
        let with_x = run.end > 0 && is_check_x(chars[run.end - 1]);
        // `+86 138…`: the plus goes with the number.
        if is_personal_number(&run.digits, with_x) {
            if out.ends_with('+') || out.ends_with('＋') {
                out.pop();
            }
            out.push_str(REDACTED);
        } else {
            out.extend(chars[run.start..run.end].iter());
        }
        i = run.end;
    }
    out
}

/// Single-character surnames common enough that a name after a person word
/// (其妻、证人、法定代表人…) is recognised (R-POST-2).
pub const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严覃武戴莫孔汤温康施牛樊葛邢易乔伍庞颜倪庄聂章鲁岳翟殷詹欧耿兰焦俞左柳甘祝符舒阮柯纪梅童凌毕季裴霍涂苗谷盛曲翁冉骆蓝游辛靳柴蒙鲍华喻祁蒲房滕屈饶牟艾尤穆卓缪芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬卞姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘池麻苑迟邝";

/// Words that are followed by a natural person's name in what officers write.
pub const PERSON_BEFORE: &[&str] = &[
    "法定代表人",
    "实际经营人",
    "实际控制人",
    "委托代理人",
    "负责人",
    "经营者",
    "代理人",
    "监护人",
    "联系人",
    "举报人",
    "投诉人",
    "受害人",
    "承包人",
    "见证人",
    "证人",
    "其妻",
    "其夫",
    "其子",
    "其女",
    "其父",
    "其母",
    "其兄",
    "其弟",
    "其姐",
    "其妹",
    "之妻",
    "之夫",
    "之子",
    "之女",
    "妻子",
    "丈夫",
    "儿子",
    "女儿",
    "父亲",
    "母亲",
    "配偶",
    "亲属",
    "家属",
    "哥哥",
    "弟弟",
    "姐姐",
    "妹妹",
    "员工",
    "雇员",
    "职工",
    "工人",
    "司机",
    "店员",
    "户主",
    "股东",
    "业主",
    "房东",
    "租户",
    "邻居",
];

/// Words that follow a natural person's name.
const PERSON_AFTER: &[&str] = &[
    "（身份证",
    "(身份证",
    "，身份证",
    "身份证号",
    "（公民身份",
    "（男",
    "（女",
    "(男",
    "(女",
    "，男，",
    "，女，",
    "先生",
    "女士",
    "（电话",
    "(电话",
    "，电话",
    "（手机",
    "，手机",
    "（联系电话",
];

/// Common words that start with a surname character but are not names, where
/// they follow a person word (证人陈述, 负责人黄某…).
pub const NOT_NAMES: &[&str] = &[
    "陈述", "陈列", "田间", "江河", "林地", "林木", "石料", "高度", "高于", "金额", "方面", "方式",
    "方可", "范围", "范畴", "程序", "程度", "周边", "周围", "黄色", "白色", "白天", "蓝色", "毛坯",
    "严重", "严格", "任何", "任意", "余额", "叶片", "张贴", "许可", "许多", "董事", "杜绝", "陆续",
    "夏季", "付款", "付清", "龙头", "陶瓷", "顾及", "钱款", "温度", "康复", "施工", "施行", "颜色",
    "章程", "左右", "左侧", "符合", "纪律", "凌晨", "季度", "涂改", "苗木", "柴油", "房屋", "房间",
    "尤其", "景区", "费用", "冷库", "卫生", "柏油", "沙土", "迟到", "马路", "郑重", "曾经", "孙子",
    "黄金", "金属", "石材", "江水", "高温", "雷电", "罗列", "谢绝", "唐突", "苏醒",
];

/// Characters that end a given name (function words).
pub const NAME_STOPS: &str =
    "的和与及在于等为是将已因系向对被把称说到从自未不也都又并但而或以之所均共另现曾即就便于由经";

fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

/// Length of the surname at `i` (2 for a compound surname, 1 for a common one).
fn surname_at(chars: &[char], i: usize) -> Option<usize> {
    if i + 1 < chars.len() {
        let two: String = chars[i..i + 2].iter().collect();
        if COMPOUND_SURNAMES.contains(&two.as_str()) {
            return Some(2);
        }
    }
    (i < chars.len() && SURNAMES.contains(chars[i])).then_some(1)
}

/// A probable natural person's name at `i`: surname + one or two given-name
/// characters (not 某, not a function word). Returns the end.
fn name_at(chars: &[char], i: usize) -> Option<usize> {
    let s = surname_at(chars, i)?;
    if NOT_NAMES.iter().any(|w| starts_with_at(chars, i, w)) {
        return None;
    }
    let mut end = i + s;
    while end < chars.len()
        && end - (i + s) < 2
        && is_cjk(chars[end])
        && chars[end] != '某'
        && !NAME_STOPS.contains(chars[end])
    {
        end += 1;
    }
    (end > i + s).then_some(end)
}

/// A probable personal name found in a text (R-POST-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameSpan {
    /// Position of its first character (1-based, in characters).
    pub position: usize,
    /// The name as written.
    pub text: String,
    /// Its masked form (surname + 某).
    pub masked: String,
}

fn starts_with_at(chars: &[char], i: usize, w: &str) -> bool {
    (i..).zip(w.chars()).all(|(j, c)| chars.get(j) == Some(&c))
}

/// The probable names of natural persons in `text`: a known surname and one or
/// two characters right after a person word (其妻、证人、法定代表人：…) or right
/// before an identity detail (（身份证…、先生、女士…). A name already masked
/// (王某) is not one. Ordered by position.
pub fn probable_names(text: &str) -> Vec<NameSpan> {
    let chars: Vec<char> = text.chars().collect();
    let mut spans: Vec<(usize, usize)> = vec![];
    for i in 0..chars.len() {
        if let Some(w) = PERSON_BEFORE.iter().find(|w| starts_with_at(&chars, i, w)) {
            let mut j = i + w.chars().count();
            while j < chars.len() && matches!(chars[j], '：' | ':' | ' ' | '\u{3000}' | '为') {
                j += 1;
            }
            if let Some(end) = name_at(&chars, j) {
                spans.push((j, end));
            }
        }
        if PERSON_AFTER.iter().any(|w| starts_with_at(&chars, i, w)) {
            // The longest name ending here: 4, 3 or 2 characters before.
            for len in [4usize, 3, 2] {
                if i < len {
                    continue;
                }
                let j = i - len;
                if name_at(&chars, j) == Some(i) {
                    spans.push((j, i));
                    break;
                }
            }
        }
    }
    spans.sort();
    spans.dedup();
    // Overlaps: keep the first.
    let mut out: Vec<NameSpan> = vec![];
    let mut last_end = 0;
    for (s, e) in spans {
        if s < last_end {
            continue;
        }
        last_end = e;
        let name: String = chars[s..e].iter().collect();
        out.push(NameSpan {
            position: s + 1,
            masked: mask_person_name(&name),
            text: name,
        });
    }
    out
}

/// `text` with every probable name ([`probable_names`]) replaced by its masked
/// form: what is published when such a name slipped through (R-POST-2).
pub fn mask_probable_names(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    for n in probable_names(text) {
        let s = n.position - 1;
        out.extend(chars[i..s].iter());
        out.push_str(&n.masked);
        i = s + n.text.chars().count();
    }
    out.extend(chars[i..].iter());
    out
}

/// `text` with every occurrence of a person's full `name` replaced by `masked`
/// (repeated until none is left), probable names of other persons masked
/// ([`mask_probable_names`]), then numbers redacted ([`redact_numbers`]).
pub fn mask_text(text: &str, name: Option<(&str, &str)>) -> String {
    let mut t = text.to_string();
    if let Some((name, masked)) = name {
        let name = name.trim();
        // A one-character "name" cannot be told from ordinary text.
        if name.chars().count() >= 2 {
            // A name that is its own masked form's prefix (e.g. just a compound
            // surname) would survive inside it: use 某某 instead.
            let masked = if masked.contains(name) {
                "某某"
            } else {
                masked
            };
            // A replacement can in theory form a new occurrence: repeat, bounded.
            let mut passes = 0;
            while t.contains(name) && passes < 64 {
                t = t.replace(name, masked);
                passes += 1;
            }
            if t.contains(name) {
                t = t.replace(name, "某某");
            }
        }
    }
    redact_numbers(&mask_probable_names(&t))
}

/// A span of a text to be published that the masker cannot judge safe: a
/// probable name of a natural person (R-POST-2). The filer is told to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafeSpan {
    /// The field's Chinese label (决定内容, 标题…).
    pub field: &'static str,
    /// The probable name and where it is.
    pub name: NameSpan,
}

impl UnsafeSpan {
    /// What the filer reads: the field, the position, the quoted text and the fix.
    pub fn message(&self) -> String {
        format!(
            "“{}”第 {} 个字起的“{}”可能是自然人的姓名",
            self.field, self.name.position, self.name.text
        )
    }
}

/// The probable personal names in the public fields `(label, text)` (R-POST-2).
pub fn unsafe_spans(fields: &[(&'static str, &str)]) -> Vec<UnsafeSpan> {
    fields
        .iter()
        .flat_map(|(label, text)| {
            probable_names(text)
                .into_iter()
                .map(|name| UnsafeSpan { field: label, name })
        })
        .collect()
}

/// The probable names in a decision's public fields, except the party's own
/// name (masked on publication anyway; R-POST-2).
pub fn spans_other_than_party(
    party_kind: PartyKind,
    party_name: &str,
    fields: &[(&'static str, &str)],
) -> Vec<UnsafeSpan> {
    let party = party_name.trim();
    unsafe_spans(fields)
        .into_iter()
        .filter(|s| {
            party_kind == PartyKind::Company
                || party.chars().count() < 2
                || !(party.contains(s.name.text.as_str()) || s.name.text.contains(party))
        })
        .collect()
}

/// The probable names of persons other than the party in a decision's public
/// columns (R-POST-2).
pub fn source_spans(src: &PublicSource) -> Vec<UnsafeSpan> {
    spans_other_than_party(
        src.party_kind,
        &src.party_name,
        &[
            ("标题", &src.title),
            ("执法类别", &src.category),
            ("法律依据", &src.legal_basis),
            ("决定内容", &src.conclusion),
        ],
    )
}

/// The refusal shown when [`unsafe_spans`] found something: every span quoted
/// with its position (R-POST-2). The caller adds how to fix it.
pub fn unsafe_spans_message(spans: &[UnsafeSpan]) -> String {
    let list: Vec<String> = spans.iter().map(|s| s.message()).collect();
    format!(
        "R-POST-2：公开内容中不得出现当事人以外的自然人的真实姓名：{}。",
        list.join("；")
    )
}

/// How a drafter fixes [`unsafe_spans`]: the masked form of the first span.
pub fn unsafe_spans_fix(spans: &[UnsafeSpan]) -> String {
    let example = spans
        .first()
        .map(|s| format!("如将“{}”改为“{}”", s.name.text, s.name.masked))
        .unwrap_or_default();
    format!("请改为“姓+某”（{example}），或将其移入“保密内容”，然后重新提交。")
}

/// A published decision as the public sees it (R-POST-2): body, target, category,
/// document number, decision date and conclusion; personal data masked.
///
/// It is also the `Decision` schema of the open data API's OpenAPI document
/// ([`super::open_data`]): the field doc comments below are its descriptions, in
/// Chinese for the data's users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = Decision, description = "一条公示的执法决定（R-POST-2）")]
pub struct PublicDecision {
    /// 决定编号
    pub id: String,
    /// 执法主体编号
    pub agency_id: String,
    /// 执法主体名称
    pub body: String,
    /// 当事人：法人或其他组织的名称；自然人为隐名后的名称（如“刘某”）
    pub target: String,
    /// 当事人类型
    #[schema(schema_with = party_kind_schema)]
    pub party_kind: &'static str,
    /// 统一社会信用代码（仅法人或其他组织）
    pub credit_code: Option<String>,
    /// 执法类别
    pub category: String,
    /// 决定类型
    #[schema(schema_with = decision_kind_schema)]
    pub kind: &'static str,
    /// 决定类型（中文）
    pub kind_label: &'static str,
    /// 标题（已隐名）
    pub title: String,
    /// 文书编号
    pub doc_number: String,
    /// 决定日期
    #[schema(format = Date)]
    pub decided_on: String,
    /// 法律依据
    pub legal_basis: String,
    /// 决定内容（已隐名，证件号码、手机号码显示为“[已隐去]”）
    pub conclusion: String,
    /// 罚款金额（分）
    pub fine_fen: Option<i64>,
    /// 罚款金额（元，文本）
    pub fine_yuan: Option<String>,
    /// 公开日期
    #[schema(format = Date)]
    pub published_on: Option<String>,
    /// 是否逾期公开（超过 R-POST-1 规定的期限）
    pub late: bool,
    /// 超过期限的工作日数
    pub late_working_days: Option<u32>,
}

/// The OpenAPI schema of [`PublicDecision::party_kind`]: the stable texts of
/// [`PartyKind`].
pub fn party_kind_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .description(Some("当事人类型"))
        .enum_values(Some(
            [PartyKind::Company, PartyKind::Person].map(PartyKind::as_str),
        ))
        .build()
}

/// The OpenAPI schema of a decision kind (the field and the `kind` filter): the
/// stable texts of every [`DecisionKind`].
pub fn decision_kind_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .description(Some("决定类型"))
        .enum_values(Some(DecisionKind::ALL.map(DecisionKind::as_str)))
        .build()
}

/// The public target of a decision: a company's name, or the masked name of a
/// person (R-POST-2).
pub fn public_target(src: &PublicSource) -> String {
    match src.party_kind {
        PartyKind::Company => src.party_name.trim().to_string(),
        PartyKind::Person => mask_person_name(&src.party_name),
    }
}

/// The public credit code: a company's; never anything for a person.
pub fn public_code(src: &PublicSource) -> String {
    match src.party_kind {
        PartyKind::Company => src.company_code.trim().to_uppercase(),
        PartyKind::Person => String::new(),
    }
}

/// The public view of a decision (R-POST-2), for the preview before filing
/// (`publication` None) or a published record. Reads only [`PublicSource`].
pub fn public_decision(
    src: &PublicSource,
    body: &str,
    publication: Option<&PublicationRecord>,
) -> PublicDecision {
    let target = public_target(src);
    let person = match src.party_kind {
        PartyKind::Person => Some((src.party_name.as_str(), target.as_str())),
        PartyKind::Company => None,
    };
    let code = public_code(src);
    PublicDecision {
        id: src.id.clone(),
        agency_id: src.agency_id.clone(),
        body: body.to_string(),
        target: redact_numbers(&target),
        party_kind: src.party_kind.as_str(),
        credit_code: (!code.is_empty()).then_some(code),
        category: mask_text(&src.category, person),
        kind: src.kind.as_str(),
        kind_label: src.kind.label(),
        title: mask_text(&src.title, person),
        doc_number: mask_text(&src.doc_number, person),
        decided_on: src.decided_on.format("%Y-%m-%d").to_string(),
        legal_basis: mask_text(&src.legal_basis, person),
        conclusion: mask_text(&src.conclusion, person),
        fine_fen: src.fine_fen,
        fine_yuan: src.fine_fen.map(yuan),
        published_on: publication
            .and_then(|p| p.published_on)
            .map(|d| d.format("%Y-%m-%d").to_string()),
        late: publication.and_then(|p| p.late).unwrap_or(false),
        late_working_days: publication.and_then(|p| p.late_working_days),
    }
}

/// The public columns of a decision record (R-POST-2): a person's ID number and
/// the confidential notes are not copied.
pub fn source_of(d: &crate::storage::legal::DecisionRecord) -> PublicSource {
    PublicSource {
        id: d.id.clone(),
        agency_id: d.agency_id.clone(),
        kind: d.kind,
        title: d.title.clone(),
        doc_number: d.doc_number.clone(),
        decided_on: d.decided_on,
        category: d.category.clone(),
        party_kind: d.party_kind,
        party_name: d.party_name.clone(),
        company_code: match d.party_kind {
            PartyKind::Company => d.party_code.clone(),
            PartyKind::Person => String::new(),
        },
        legal_basis: d.legal_basis.clone(),
        conclusion: d.conclusion.clone(),
        fine_fen: d.fine_fen,
    }
}
