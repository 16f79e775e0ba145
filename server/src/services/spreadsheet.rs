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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(
            text_cell("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        for s in ["+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(text_cell(s), format!("'{s}"));
        }
        for s in ["", "清远市生态环境局", "a=1", " =1", "'=1", "12"] {
            assert!(matches!(text_cell(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn numbers_stay_numbers_in_number_columns() {
        for s in ["0", "12", "-12.50", "1234567.89"] {
            assert!(is_plain_number(s), "{s}");
            assert_eq!(number_cell(s), s);
        }
        for s in ["-", "-.5", "1.", "+1", "1e5", "-1+1", "- 1", "=1", "1,000"] {
            assert!(!is_plain_number(s), "{s}");
        }
        assert_eq!(number_cell("-1+1"), "'-1+1");
        assert_eq!(number_cell("=1"), "'=1");
    }

    proptest! {
        /// Any string: the text cell never starts with a formula character, and
        /// is the string itself with at most a leading `'`.
        #[test]
        fn text_cells_never_start_a_formula(s in any::<String>()) {
            let out = text_cell(&s);
            prop_assert!(!out.starts_with(FORMULA_STARTS));
            if s.starts_with(FORMULA_STARTS) {
                prop_assert_eq!(out.as_ref(), format!("'{s}"));
            } else {
                prop_assert_eq!(out.as_ref(), s.as_str());
            }
        }

        /// Strings that do not start with a formula character are unchanged, also
        /// when generated to look like formulas further in.
        #[test]
        fn safe_strings_are_unchanged(s in "[^=+\\-@\t\r][=+\\-@\t\r\\PC]{0,40}") {
            let out = text_cell(&s);
            prop_assert_eq!(out.as_ref(), s.as_str());
        }

        /// A number column: a cell is either a plain number left as is, or a text
        /// cell that never starts a formula.
        #[test]
        fn number_cells_are_numbers_or_safe_text(s in "-?[0-9]{0,6}(\\.[0-9]{0,3})?|\\PC{0,20}") {
            let out = number_cell(&s);
            if is_plain_number(&s) {
                prop_assert_eq!(out.as_ref(), s.as_str());
            } else {
                prop_assert!(!out.starts_with(FORMULA_STARTS));
            }
        }
    }
}
