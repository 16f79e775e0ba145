//! Tests of `server/src/services/spreadsheet.rs`.

use proptest::prelude::*;

use liuhen_server::services::spreadsheet::*;
use std::borrow::Cow;

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
