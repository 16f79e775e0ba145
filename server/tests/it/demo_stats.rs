//! The demo's published statistics year (R-POST-5, issue 20): a real
//! `serve --demo` process publishes 2025 with real figures — every kind of
//! decision, fines, legal review opinions and appeals, and inspections opened
//! that year — in two enforcement categories, each with inspections, so the
//! chart has bars; the CSV's agency total row says so. The
//! decisions behind them are published on time and listed publicly.

use crate::common;

use common::{TestServer, client};

#[test]
fn r_post_5_the_demo_statistics_year_has_figures_in_every_column() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start_in(tmp.path(), &["--demo"])
        .unwrap_or_else(|logs| panic!("server did not start:\n{}", logs.join("\n")));
    let http = client();
    let csv = http
        .get(server.url("/public/stats/2025.csv"))
        .send()
        .expect("csv")
        .text()
        .expect("text");
    let rows: Vec<Vec<String>> = csv
        .trim_start_matches('\u{feff}')
        .lines()
        .map(|l| {
            l.split(',')
                .map(|c| c.trim_matches('"').to_string())
                .collect()
        })
        .collect();
    let head = &rows[0];
    let total = rows
        .iter()
        .find(|r| r[0] == "清远市生态环境局" && r[1] == "合计")
        .unwrap_or_else(|| panic!("no total row of the demo agency:\n{csv}"));
    for col in [
        "行政许可决定数",
        "行政处罚决定数",
        "行政强制决定数",
        "行政检查决定数",
        "其他决定数",
        "罚款金额（元）",
        "法制审核意见数",
        "行政复议受理数",
        "行政诉讼受理数",
    ] {
        let i = head
            .iter()
            .position(|h| h == col)
            .unwrap_or_else(|| panic!("no column {col}: {head:?}"));
        let v: f64 = total[i].parse().unwrap_or(0.0);
        assert!(
            v > 0.0,
            "{col} is {} in the demo's 2025 total:\n{csv}",
            total[i]
        );
    }
    // Every category of the year has inspections (opened in 2025, approved), not
    // only decisions: the chart's inspection bars are not empty (issue 20).
    let inspections = head
        .iter()
        .position(|h| h == "行政检查记录数")
        .unwrap_or_else(|| panic!("no inspections column: {head:?}"));
    let categories: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[0] == "清远市生态环境局" && r[1] != "合计")
        .collect();
    for cat in ["生态环境", "固体废物"] {
        assert!(
            categories.iter().any(|r| r[1] == cat),
            "category {cat}:\n{csv}"
        );
    }
    for r in &categories {
        let n: u64 = r[inspections].parse().unwrap_or(0);
        assert!(
            n > 0,
            "category {} has {} inspections in 2025:\n{csv}",
            r[1],
            r[inspections]
        );
    }
    assert_eq!(
        total[inspections], "6",
        "the six 2025 inspections of the demo:\n{csv}"
    );
    let page = http
        .get(server.url("/public/stats/2025"))
        .send()
        .expect("page")
        .text()
        .expect("text");
    assert!(
        page.matches("<rect").count() > 4,
        "the chart has bars: {page}"
    );
    let list = http
        .get(server.url("/api/open/v1/decisions?per_page=100"))
        .send()
        .expect("list")
        .text()
        .expect("text");
    assert!(list.contains("清环罚〔2025〕8号"), "published: {list}");
}
