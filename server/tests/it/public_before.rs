//! The public portal's "before enforcement" pages (R-PRE-1..4), double random
//! results (R-POST-4) and annual statistics (R-POST-5), against a real
//! `liuhen-server` process: pages, the officer roster of valid certificates only,
//! admin edits with CSRF and roles, checked uploads, masked persons, CSV/XLSX
//! downloads matching the page, late publication, and clear error pages.

use crate::common;

use common::{DEMO_PASSWORD, TestServer};
use reqwest::blocking::{Client, Response};
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::json;

/// Id of the flow chart `serve --demo` publishes (`server/src/public/demo_profile.rs`).
const DEMO_FLOW_CHART_ID: &str = "01936d00-0000-7000-8000-0000000f1001";

fn no_redirects() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
}

fn cookie_pair(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
}

fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + needle.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// A signed-in browser: the session cookie and the CSRF token of its forms.
struct Staff {
    cookie: String,
    csrf: String,
}

fn sign_in(server: &TestServer, c: &Client, login: &str, page: &str) -> Staff {
    let r = c.get(server.url("/login")).send().unwrap();
    let login_cookie = cookie_pair(&r, "liuhen_login_csrf").unwrap();
    let csrf = hidden(&r.text().unwrap(), "csrf");
    let r = c
        .post(server.url("/login"))
        .header(COOKIE, &login_cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("next", page),
            ("login", login),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303, "sign-in of {login}");
    let cookie = cookie_pair(&r, "liuhen_session").unwrap();
    let html = c
        .get(server.url(page))
        .header(COOKIE, &cookie)
        .send()
        .unwrap()
        .text()
        .unwrap();
    Staff {
        csrf: if html.contains("name=\"csrf\" value=\"") {
            hidden(&html, "csrf")
        } else {
            String::new()
        },
        cookie,
    }
}

fn page(server: &TestServer, path: &str) -> (u16, String) {
    let r = no_redirects().get(server.url(path)).send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

/// A multipart body with text fields and one file.
fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----liuhen-test-boundary-7d1a";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn upload(server: &TestServer, s: &Staff, title: &str, name: &str, bytes: &[u8]) -> Response {
    let (ct, body) = multipart(
        &[("csrf", &s.csrf), ("kind", "flow_chart"), ("title", title)],
        name,
        bytes,
    );
    no_redirects()
        .post(server.url("/admin/public-profile/documents"))
        .header(COOKIE, &s.cookie)
        .header(CONTENT_TYPE, ct)
        .body(body)
        .send()
        .unwrap()
}

fn png_bytes() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(8, 8, image::Rgb([10, 120, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

fn docs_dir_files(server: &TestServer) -> Vec<String> {
    match std::fs::read_dir(server.data_dir.join("public-docs")) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => vec![],
    }
}

#[test]
fn r_pre_1_to_4_public_pages_profile_uploads_and_roster() {
    let server = TestServer::start(true);
    let c = no_redirects();

    // Portal home lists the demo agency.
    let (st, html) = page(&server, "/public");
    assert_eq!(st, 200);
    assert!(html.contains("/public/agencies/qy-sthj"), "{html}");
    assert!(html.contains("清远市生态环境局"));

    // R-PRE-2: only valid certificates (today is after 黄志强's expiry; 吴建国 is suspended).
    let (st, html) = page(&server, "/public/agencies/qy-sthj/officers");
    assert_eq!(st, 200);
    assert!(html.contains("data-id=\"qy-zf-001\"") && html.contains("李明"));
    assert!(html.contains("data-id=\"qy-zf-002\"") && html.contains("陈晓红"));
    assert!(
        !html.contains("qy-zf-003") && !html.contains("黄志强"),
        "expired certificate listed"
    );
    assert!(
        !html.contains("qy-zf-004") && !html.contains("吴建国"),
        "suspended certificate listed"
    );

    // R-PRE-3: the spot-check item list.
    let (st, html) = page(&server, "/public/agencies/qy-sthj/items");
    assert_eq!(st, 200);
    assert!(html.contains("id=\"items\""));
    assert!(
        html.contains("排污许可证执行情况检查")
            && html.contains("50%")
            && html.contains("每年一次")
    );

    // R-PRE-4: catalogue page answers (with or without a published version).
    let (st, html) = page(&server, "/public/agencies/qy-sthj/catalogue");
    assert_eq!(st, 200);
    assert!(html.contains("法制审核目录清单"));

    // Unknown agency: the public error page.
    let (st, html) = page(&server, "/public/agencies/no-such-agency");
    assert_eq!(st, 404);
    assert!(html.contains("找不到") && html.contains("no-such-agency"));

    // Only admins edit; forms need the CSRF token.
    let officer = sign_in(&server, &c, "qy-zf-001", "/desk");
    let r = c
        .get(server.url("/admin/public-profile"))
        .header(COOKIE, &officer.cookie)
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    let admin = sign_in(&server, &c, "admin", "/admin/public-profile");
    let fields = |csrf: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("bodies".into(), "清远市生态环境局\n综合行政执法支队".into()),
            (
                "duties".into(),
                "负责生态环境监督管理 <script>x</script>".into(),
            ),
            ("supervision".into(), "监督电话：0763-12345".into()),
            ("remedy".into(), "六十日内申请行政复议".into()),
            ("steps".into(), "现场检查\n听证\n公告送达".into()),
        ]
    };
    let r = c
        .post(server.url("/admin/public-profile"))
        .header(COOKIE, &admin.cookie)
        .form(&fields("wrong"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403, "R-PRE-1 edit without CSRF must be refused");
    // A too long field names itself.
    let mut long = fields(&admin.csrf);
    long[3].1 = "字".repeat(4001);
    let r = c
        .post(server.url("/admin/public-profile"))
        .header(COOKIE, &admin.cookie)
        .form(&long)
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("“监督方式”不能超过"));
    let r = c
        .post(server.url("/admin/public-profile"))
        .header(COOKIE, &admin.cookie)
        .form(&fields(&admin.csrf))
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);

    let (st, html) = page(&server, "/public/agencies/qy-sthj");
    assert_eq!(st, 200);
    for id in [
        "id=\"bodies\"",
        "id=\"duties\"",
        "id=\"supervision\"",
        "id=\"remedy\"",
    ] {
        assert!(html.contains(id), "{id} missing");
    }
    assert!(html.contains("综合行政执法支队") && html.contains("0763-12345"));
    assert!(
        html.contains("负责生态环境监督管理") && !html.contains("<script>x"),
        "not escaped"
    );

    // Uploads: a real PNG is accepted and downloads byte-identical. `--demo` already
    // holds the demo flow chart (demo_profile::DEMO_FLOW_CHART_ID).
    let files_demo = docs_dir_files(&server);
    let png = png_bytes();
    let r = upload(&server, &admin, "行政检查流程图", "流程图.png", &png);
    assert_eq!(r.status(), 303, "{:?}", r.text());
    let (st, html) = page(&server, "/public/agencies/qy-sthj/documents");
    assert_eq!(st, 200);
    assert!(html.contains("行政检查流程图") && html.contains("公告送达"));
    let link: String = html
        .match_indices("/public/documents/")
        .map(|(i, _)| {
            html[i..]
                .chars()
                .take_while(|c| *c != '"')
                .collect::<String>()
        })
        .find(|l| !l.ends_with(DEMO_FLOW_CHART_ID) && !l.contains('?'))
        .unwrap_or_else(|| panic!("no link to the uploaded document: {html}"));
    let r = c.get(server.url(&link)).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[CONTENT_TYPE], "image/png");
    let disp = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    // Shown in the browser; `?download=1` saves it.
    assert!(
        disp.starts_with("inline;") && disp.contains("filename*=UTF-8''"),
        "{disp}"
    );
    assert_eq!(r.bytes().unwrap().to_vec(), png);
    let saved = c
        .get(server.url(&format!("{link}?download=1")))
        .send()
        .unwrap();
    let disp = saved.headers()["content-disposition"].to_str().unwrap();
    assert!(disp.starts_with("attachment;"), "{disp}");
    let files_before = docs_dir_files(&server);
    assert_eq!(
        files_before.len(),
        files_demo.len() + 1,
        "{files_demo:?} → {files_before:?}"
    );

    // A text file renamed to .pdf is refused with a clear message; nothing is kept.
    let r = upload(
        &server,
        &admin,
        "服务指南",
        "guide.pdf",
        b"this is not a pdf at all",
    );
    assert_eq!(r.status(), 400);
    let text = r.text().unwrap();
    assert!(text.contains("不是有效的 PDF、PNG 或 JPEG 文件"), "{text}");
    // Oversized: refused (by the document limit or the server's body limit).
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(21 * 1024 * 1024, b'0');
    let r = upload(&server, &admin, "过大的文件", "big.pdf", &big);
    assert_eq!(r.status(), 413);
    assert_eq!(
        docs_dir_files(&server),
        files_before,
        "a refused upload left a file"
    );

    // History records who changed what.
    let html = c
        .get(server.url("/admin/public-profile"))
        .header(COOKIE, &admin.cookie)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        html.contains("修改公示信息") && html.contains("上传流程图"),
        "{html}"
    );
}

#[test]
fn r_post_4_draw_results_mask_person_targets() {
    let server = TestServer::start(true);
    let token = server.login("supervisor", DEMO_PASSWORD);
    let r = common::client()
        .post(server.url("/api/v1/draws"))
        .bearer_auth(&token)
        .json(&json!({"item_code": "QYHJ-SJ-07"}))
        .send()
        .unwrap();
    let (status, committed) = common::status_json(r);
    assert!(status == 200 || status == 201, "{committed}");
    let id = committed["id"].as_str().unwrap().to_string();
    // Committed, not run: not public (its seed is still secret).
    assert_eq!(page(&server, &format!("/public/draws/{id}")).0, 404);
    let r = common::client()
        .post(server.url(&format!("/api/v1/draws/{id}/run")))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let (st, html) = page(&server, "/public/draws");
    assert_eq!(st, 200);
    assert!(html.contains(&id));
    let (st, html) = page(&server, &format!("/public/draws/{id}"));
    assert_eq!(st, 200);
    assert!(html.contains("刘某"), "{html}");
    assert!(
        !html.contains("刘建华"),
        "R-POST-2: a person's full name was published"
    );
    assert!(html.contains("清远市鑫达陶瓷有限公司") && html.contains("未检查"));
}

fn stats_numbers(html: &str, agency: &str) -> Vec<String> {
    let start = html
        .find(&format!("data-agency=\"{agency}\""))
        .expect("agency row");
    let row = &html[start..start + html[start..].find("</tr>").unwrap()];
    row.split("<td data-key=\"")
        .skip(1)
        .map(|c| {
            let v = &c[c.find('>').unwrap() + 1..];
            v[..v.find('<').unwrap()].to_string()
        })
        .collect()
}

#[test]
fn r_post_5_annual_statistics_publish_late_csv_xlsx_and_bad_years() {
    let server = TestServer::start(true);
    let c = no_redirects();
    let (st, html) = page(&server, "/public/stats");
    assert_eq!(st, 200);
    assert!(html.contains("/public/stats/2025"));
    assert_eq!(page(&server, "/public/stats/99999").0, 400);
    let (st, html) = page(&server, "/public/stats/2999");
    assert_eq!(st, 404);
    assert!(html.contains("2999"));

    let admin = sign_in(&server, &c, "admin", "/admin/public-stats");
    let html = c
        .get(server.url("/admin/public-stats?year=2024"))
        .header(COOKIE, &admin.cookie)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        html.contains("2025-01-31") && html.contains("已逾期"),
        "{html}"
    );
    // Appeals: results above the cases are refused with the field named.
    let form = |rc_total: &str| {
        vec![
            ("csrf", admin.csrf.clone()),
            ("year", "2024".to_string()),
            ("rc_total", rc_total.to_string()),
            ("rc_upheld", "2".to_string()),
            ("rc_corrected", "1".to_string()),
            ("lt_total", "1".to_string()),
            ("lt_upheld", "1".to_string()),
        ]
    };
    let r = c
        .post(server.url("/admin/public-stats"))
        .header(COOKIE, &admin.cookie)
        .form(&form("2"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("行政复议"));
    let r = c
        .post(server.url("/admin/public-stats"))
        .header(COOKIE, &admin.cookie)
        .form(&form("4"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);

    // Not published yet: the public page says so.
    let (_, html) = page(&server, "/public/stats/2024");
    assert!(html.contains("尚未公布"));
    let r = c
        .post(server.url("/admin/public-stats/publish"))
        .header(COOKIE, &admin.cookie)
        .form(&[("csrf", admin.csrf.as_str()), ("year", "2024")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    // Published now (after 2025-01-31): late, and never again.
    let (st, html) = page(&server, "/public/stats/2024");
    assert_eq!(st, 200);
    assert!(html.contains("逾期公布"), "R-POST-5 late flag missing");
    assert!(html.contains("<svg") && html.contains("<rect"));
    assert!(!html.contains("style="), "CSP forbids inline styles");
    let r = c
        .post(server.url("/admin/public-stats/publish"))
        .header(COOKIE, &admin.cookie)
        .form(&[("csrf", admin.csrf.as_str()), ("year", "2024")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 409);

    let nums = stats_numbers(&html, "qy-sthj");
    assert!(nums.iter().any(|n| n.starts_with("4（2/1/0）")), "{nums:?}");

    // CSV: UTF-8 with BOM, parses, and agrees with the page.
    let r = c.get(server.url("/public/stats/2024.csv")).send().unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().unwrap().to_vec();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let mut rd = csv::Reader::from_reader(&bytes[3..]);
    let headers = rd.headers().unwrap().clone();
    assert_eq!(&headers[0], "执法主体");
    assert_eq!(&headers[1], "执法类别");
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    // R-POST-5: a row per enforcement category, then the agency's total (合计).
    assert_eq!(
        rows.last().map(|r| r[1].to_string()).as_deref(),
        Some("合计")
    );
    let row = rows.last().unwrap();
    assert_eq!(&row[0], "清远市生态环境局");
    assert_eq!(
        &row[3],
        nums[0].as_str(),
        "inspections differ from the page"
    );
    assert_eq!(&row[9], nums[6].as_str(), "fines differ from the page");
    assert_eq!(&row[11], "4");
    assert_eq!(&row[12], "2");
    assert_eq!(&row[20], "是");

    // XLSX opens and holds the same numbers.
    let r = c.get(server.url("/public/stats/2024.xlsx")).send().unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().unwrap().to_vec();
    assert!(bytes.starts_with(b"PK"));
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), vec!["2024年度统计".to_string()]);
    let range = book.worksheet_range("2024年度统计").unwrap();
    let total = rows.len() as u32;
    assert_eq!(
        range.get_value((total, 0)).unwrap().to_string(),
        "清远市生态环境局"
    );
    assert_eq!(range.get_value((total, 1)).unwrap().to_string(), "合计");
    assert_eq!(range.get_value((total, 11)).unwrap().to_string(), "4");
}
