//! Bad input to the public portal (issue 10): a query string over the 8 KiB limit
//! is refused with 414 and a clear Chinese answer (a page for browsers, the API's
//! JSON error under `/api/`); a request line hyper refuses itself (over 64 KiB)
//! gets hyper's own 414 (issue 17: its answer is not rewritten on the socket); a
//! normal search still works; script in a search is shown escaped. Against a real
//! `liuhen-server` process.

use crate::common;

use std::io::{Read, Write};

use common::TestServer;
use reqwest::blocking::Client;
use serde_json::Value;

const MESSAGE: &str = "查询内容过长（超过 8 KB），请缩短搜索条件后重试";

fn http() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A raw HTTP/1.1 GET on a new connection: (status, whole answer).
fn raw_get(addr: &str, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[test]
fn huge_query_strings_get_a_chinese_414_and_searches_stay_escaped() {
    let server = TestServer::start(true);
    let c = http();
    let addr = server.addr();

    // A normal search first (the pooled connection is then reused below).
    let r = c
        .get(server.url("/public/decisions?q=%E6%B8%85%E8%BF%9C"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("清远"));

    // 100 KB: over hyper's own 64 KiB limit of a request line (http::Uri refuses to
    // build it, so raw HTTP): hyper answers 414 itself, before any layer runs, with
    // an empty body, and closes the connection.
    let q = "a".repeat(100 * 1024);
    for path in ["/public/decisions", "/api/open/v1/decisions"] {
        let (status, text) = raw_get(&addr, &format!("{path}?q={q}"));
        assert_eq!(status, 414, "{text}");
        assert!(
            text.to_ascii_lowercase().contains("content-length: 0"),
            "{text}"
        );
    }

    // 20 KB: over the 8 KiB limit, refused by the middleware, through reqwest's
    // pooled (kept-alive) connection.
    let q = "a".repeat(20 * 1024);
    let r = c
        .get(server.url(&format!("/public/decisions?q={q}")))
        .send()
        .unwrap();
    assert_eq!(r.status(), 414);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = r.text().unwrap();
    assert!(body.contains(MESSAGE), "{body}");
    let r = c
        .get(server.url(&format!("/api/open/v1/decisions?q={q}")))
        .send()
        .unwrap();
    assert_eq!(r.status(), 414);
    let v: Value = r.json().unwrap();
    assert_eq!(v["code"], "query_too_long");
    assert_eq!(v["message"], MESSAGE);

    // The server keeps serving afterwards.
    let r = c
        .get(server.url("/api/open/v1/decisions?q=%E6%B8%85%E8%BF%9C"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    assert!(v["items"].is_array());

    // Script in a search is echoed escaped, never as markup.
    let r = c
        .get(server.url("/public/decisions?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().unwrap();
    assert!(status == 200 || status == 400, "{status}: {body}");
    assert!(!body.contains("<script>alert(1)"), "{body}");
    assert!(
        body.contains("&#60;script&#62;alert(1)") || body.contains("&lt;script&gt;alert(1)"),
        "the search is echoed escaped: {body}"
    );
}
