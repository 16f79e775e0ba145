//! Cells of the CSV and XLSX files the server writes, made safe to open in a
//! spreadsheet (issue 16; OWASP "CSV Injection"): a text cell that starts with
//! `=`, `+`, `-`, `@`, a tab or a carriage return would be read by Excel or
//! LibreOffice as a formula (`=HYPERLINK(…)`, `=cmd|…`), so it gets a leading
//! apostrophe `'`, which spreadsheets read as "this is text". Every other text is
//! written unchanged.
//!
//! Numbers stay numbers: an XLSX numeric cell is written as a number and never
//! passes through here. In CSV, a column of numbers (a fine, a count) is written
//! with [`number_cell`]: a plain decimal such as `-12.50` stays as it is (it cannot
//! be a formula, and prefixing it would turn the number into text); anything else
//! in that column is treated as text.

use std::borrow::Cow;

/// First characters that make a spreadsheet read a cell as a formula.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell: `'` put before a cell that starts with one of
/// [`FORMULA_STARTS`]; any other text unchanged (borrowed).
pub fn text_cell(s: &str) -> Cow<'_, str> {
    if s.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Whether `s` is a plain decimal number: an optional `-`, digits, and optionally
/// a `.` with digits (`12`, `-12.50`). Nothing else (no `+`, exponent or spaces).
pub fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    all_digits(int) && frac.is_none_or(all_digits)
}

/// A cell of a CSV column of numbers: a plain number as it is, anything else as
/// [`text_cell`].
pub fn number_cell(s: &str) -> Cow<'_, str> {
    if is_plain_number(s) {
        Cow::Borrowed(s)
    } else {
        text_cell(s)
    }
}
