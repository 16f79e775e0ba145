//! Ids of the seeded desk inspections (fixed, so a second start adds nothing twice).
//! Plain constants only: the end-to-end tests read this file as source
//! (`tests/tests/it/main.rs`) instead of linking the server library.

/// Closed, clean, awaiting review.
pub const PENDING_CLEAN: &str = "01936d00-0000-7000-8000-00000000d001";
/// Closed with rule violations (one expired officer alone, no rights notice).
pub const VIOLATIONS: &str = "01936d00-0000-7000-8000-00000000d002";
/// A photo received more than 24 h after capture (R-REC-4).
pub const LATE_PHOTO: &str = "01936d00-0000-7000-8000-00000000d003";
/// A photo still not uploaded.
pub const AWAITING_UPLOAD: &str = "01936d00-0000-7000-8000-00000000d004";
/// Returned by the supervisor with comments.
pub const RETURNED: &str = "01936d00-0000-7000-8000-00000000d005";
/// Returned, then amended by the officers.
pub const AMENDED: &str = "01936d00-0000-7000-8000-00000000d006";
/// Approved.
pub const APPROVED: &str = "01936d00-0000-7000-8000-00000000d007";
/// Still open on site.
pub const OPEN: &str = "01936d00-0000-7000-8000-00000000d008";
/// Two devices wrote the identity statement concurrently (merged conflict).
pub const CONFLICT: &str = "01936d00-0000-7000-8000-00000000d009";
/// A finding whose text carries an HTML `<script>` (must show escaped).
pub const SCRIPT_TEXT: &str = "01936d00-0000-7000-8000-00000000d00a";
/// The second agency's inspection.
pub const OTHER_AGENCY: &str = "01936d00-0000-7000-8000-00000000d0b1";
/// Approved inspections opened in 2025, the demo statistics year (R-POST-5):
/// three of 生态环境 targets, then three of 固体废物 targets.
pub const STATS_YEAR: [&str; 6] = [
    "01936d00-0000-7000-8000-00000000d101",
    "01936d00-0000-7000-8000-00000000d102",
    "01936d00-0000-7000-8000-00000000d103",
    "01936d00-0000-7000-8000-00000000d104",
    "01936d00-0000-7000-8000-00000000d105",
    "01936d00-0000-7000-8000-00000000d106",
];
