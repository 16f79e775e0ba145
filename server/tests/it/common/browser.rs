//! A minimal browser for page tests: keeps cookies, does not follow redirects,
//! signs in through the real sign-in form, and reads forms out of the HTML.

use std::collections::BTreeMap;

use reqwest::blocking::{Client, Response};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use super::{DEMO_PASSWORD, TestServer};

/// A browser: keeps cookies, does not follow redirects (the tests follow them).
pub struct Browser {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The HTTP client (no redirects followed).
    pub client: Client,
    /// Cookies the server set.
    pub cookies: BTreeMap<String, String>,
}

/// Status, `Location` and body of an answer.
pub struct Page {
    /// HTTP status.
    pub status: u16,
    /// `Location` header.
    pub location: Option<String>,
    /// Body.
    pub html: String,
}

impl Browser {
    /// A browser with no cookies yet, talking to `server`.
    pub fn new(server: &TestServer) -> Browser {
        Browser {
            base: server.base_url.clone(),
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(60))
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    /// The `Cookie` header of the next request.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Keeps the cookies an answer sets and reads the answer.
    pub fn take(&mut self, r: Response) -> Page {
        for c in r.headers().get_all(SET_COOKIE) {
            let c = c.to_str().unwrap();
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        Page {
            status: r.status().as_u16(),
            location: r
                .headers()
                .get(LOCATION)
                .map(|l| l.to_str().unwrap().to_string()),
            html: r.text().unwrap(),
        }
    }

    /// GET with the cookies.
    pub fn get(&mut self, path: &str) -> Page {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .unwrap();
        self.take(r)
    }

    /// POST a form with the cookies.
    pub fn post(&mut self, path: &str, fields: &[(String, String)]) -> Page {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(fields)
            .send()
            .unwrap();
        self.take(r)
    }

    /// Sends a sign-in page's form (with its hidden fields) as `login`.
    pub fn submit_sign_in(&mut self, login_page: &Page, login: &str) -> Page {
        let mut fields = hidden_fields(&login_page.html, "/login");
        fields.push(("login".into(), login.into()));
        fields.push(("password".into(), DEMO_PASSWORD.into()));
        self.post("/login", &fields)
    }

    /// Signs in through the sign-in form.
    pub fn sign_in(&mut self, login: &str) {
        let page = self.get("/login");
        assert_eq!(page.status, 200);
        let r = self.submit_sign_in(&page, login);
        assert_eq!(r.status, 303, "sign-in {login}: {}", r.html);
        assert!(self.cookies.contains_key("liuhen_session"));
    }
}

/// Undoes askama's HTML escaping.
pub fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The part of a page from `<form ... action="ACTION"` to its `</form>`.
pub fn form_html<'a>(html: &'a str, action: &str) -> &'a str {
    let a = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form to {action} in {html}"));
    let start = html[..a].rfind("<form").unwrap();
    let end = a + html[a..].find("</form>").unwrap();
    &html[start..end]
}

/// The value of attribute `attr` in a tag.
pub fn attr(tag: &str, attr: &str) -> Option<String> {
    let needle = format!(" {attr}=\"");
    let i = tag.find(&needle)? + needle.len();
    Some(unescape(&tag[i..i + tag[i..].find('"')?]))
}

/// Every hidden input of the form to `action`, as (name, value).
pub fn hidden_fields(html: &str, action: &str) -> Vec<(String, String)> {
    form_html(html, action)
        .split("<input")
        .skip(1)
        .map(|t| &t[..t.find('>').unwrap()])
        .filter(|t| t.contains("type=\"hidden\""))
        .map(|t| {
            (
                attr(t, "name").unwrap(),
                attr(t, "value").unwrap_or_default(),
            )
        })
        .collect()
}

/// Every field of the form to `action` as a browser sends it unchanged: inputs
/// (checked boxes and radios only), textareas and selected options.
pub fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let form = form_html(html, action);
    let mut out = vec![];
    for t in form.split("<input").skip(1) {
        let tag = &t[..t.find('>').unwrap()];
        let Some(name) = attr(tag, "name") else {
            continue;
        };
        let kind = attr(tag, "type").unwrap_or_default();
        if kind == "checkbox" || kind == "radio" {
            if tag.contains(" checked") {
                out.push((name, attr(tag, "value").unwrap_or_default()));
            }
        } else {
            out.push((name, attr(tag, "value").unwrap_or_default()));
        }
    }
    for t in form.split("<textarea").skip(1) {
        let tag_end = t.find('>').unwrap();
        let name = attr(&t[..tag_end], "name").unwrap();
        let text = &t[tag_end + 1..t.find("</textarea>").unwrap()];
        out.push((name, unescape(text)));
    }
    for t in form.split("<select").skip(1) {
        let tag_end = t.find('>').unwrap();
        let name = attr(&t[..tag_end], "name").unwrap();
        let body = &t[..t.find("</select>").unwrap()];
        let selected = body
            .split("<option")
            .skip(1)
            .find(|o| o[..o.find('>').unwrap()].contains(" selected"))
            .and_then(|o| attr(&o[..o.find('>').unwrap()], "value"))
            .unwrap_or_default();
        out.push((name, selected));
    }
    out
}

/// Replaces (or adds) one field of a form.
pub fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    fields.retain(|(k, _)| k != name);
    fields.push((name.into(), value.into()));
}
