//! Demo drafts and decisions of the legal workflow (`serve --demo`): one draft in
//! every state and decisions the public portal publishes, including one about a
//! natural person whose name, ID number and confidential notes must never appear
//! on a public page (R-POST-2).

/// Document number of the demo penalty on a company (decided, major, reviewed).
pub const DEMO_DECISION_COMPANY_DOC: &str = "清环罚〔2026〕15号";
/// Document number of the demo penalty on a natural person (decided, not major).
pub const DEMO_DECISION_PERSON_DOC: &str = "清环罚〔2026〕16号";
/// Document number of the demo inspection result (decided, not major).
pub const DEMO_DECISION_INSPECTION_DOC: &str = "清环检〔2026〕3号";
/// The natural person of the demo decision (public pages show 刘某).
pub const DEMO_PERSON_NAME: &str = "刘建华";
/// The person's ID number (never public).
pub const DEMO_PERSON_ID_NUMBER: &str = "441802198505120317";
/// Confidential notes of the company decision (trade secret; never public).
pub const DEMO_CONFIDENTIAL_COMPANY: &str = "保密：鑫达釉料配方 XD-7731 及供应商报价单";
/// Confidential notes of the person decision (private; never public).
pub const DEMO_CONFIDENTIAL_PERSON: &str =
    "保密：当事人家庭住址清城区凤城街道某小区 8 栋 1203 室，联系电话 13902221234";

/// Every value of the demo data that must never leave the server through a public
/// page, feed or export (R-POST-2): scan public responses for each.
pub const DEMO_PRIVATE_VALUES: &[&str] = &[
    DEMO_PERSON_NAME,
    DEMO_PERSON_ID_NUMBER,
    DEMO_CONFIDENTIAL_COMPANY,
    DEMO_CONFIDENTIAL_PERSON,
    "XD-7731",
    "13902221234",
];
