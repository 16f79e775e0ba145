//! docs/api.md documents every JSON route: the routes are read from the server's
//! own sources (every `.route("/api/v1/...", get(..).post(..))` and `/healthz`,
//! with their methods), and each METHOD + path must be named in a heading or table
//! row of docs/api.md -- or, for the device protocol's routes, anywhere in
//! docs/sync-protocol.md or docs/protocol/*.md. A route documented in docs/api.md
//! that the code no longer has fails too. No server is started: this reads files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// HTTP methods an axum method router is built from.
const METHODS: [&str; 7] = ["get", "post", "put", "delete", "patch", "head", "options"];

/// Paths whose routes belong to the device protocol (specified in
/// docs/sync-protocol.md and docs/protocol/*.md).
const DEVICE_PREFIXES: [&str; 3] = ["/api/v1/sync", "/api/v1/enroll", "/api/v1/files"];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A source file without its comments (`//` to the end of the line, outside
/// string literals) and without its unit-test module (from the first
/// `#[cfg(test)] mod NAME {` on), whitespace collapsed to single spaces.
fn code_of(source: &str) -> String {
    // A `'"'` char literal would read as the start of a string.
    let source = source.replace("'\"'", "'_'");
    let mut out = String::with_capacity(source.len());
    for line in source.lines() {
        let mut in_string = false;
        let mut prev = ' ';
        let mut cut = line.len();
        for (i, c) in line.char_indices() {
            if c == '"' && prev != '\\' {
                in_string = !in_string;
            }
            if !in_string && c == '/' && prev == '/' {
                cut = i - 1;
                break;
            }
            prev = if prev == '\\' && c == '\\' { ' ' } else { c };
        }
        out.push_str(&line[..cut]);
        out.push(' ');
    }
    let code = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut from = 0;
    while let Some(i) = code[from..].find("#[cfg(test)] mod ") {
        let at = from + i;
        let rest = &code[at + "#[cfg(test)] mod ".len()..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if rest[name_len..].trim_start().starts_with('{') {
            return code[..at].to_string();
        }
        from = at + 1;
    }
    code
}

/// The text inside the parenthesis that opens at byte `open` of `s`, and the
/// index just past its closing parenthesis (string literals respected).
fn balanced(s: &str, open: usize) -> Option<(&str, usize)> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut prev = ' ';
    for (i, c) in s[open..].char_indices() {
        let at = open + i;
        match c {
            '"' if prev != '\\' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some((&s[open + 1..at], at + 1));
                }
            }
            _ => {}
        }
        prev = if prev == '\\' && c == '\\' { ' ' } else { c };
    }
    None
}

/// `args` split at its top-level commas.
fn top_level_args(args: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0i32;
    let mut in_string = false;
    let mut prev = ' ';
    for c in args.chars() {
        match c {
            '"' if prev != '\\' => in_string = !in_string,
            '(' | '[' | '{' if !in_string => depth += 1,
            ')' | ']' | '}' if !in_string => depth -= 1,
            ',' if !in_string && depth == 0 => {
                parts.push(String::new());
                prev = c;
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
        prev = c;
    }
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Every `const NAME: &str = "value";` of the given sources.
fn string_consts(sources: &[String]) -> BTreeMap<String, String> {
    let mut consts = BTreeMap::new();
    for code in sources {
        let mut rest = code.as_str();
        while let Some(i) = rest.find("const ") {
            rest = &rest[i + "const ".len()..];
            let Some((name, tail)) = rest.split_once(':') else {
                break;
            };
            let name = name.trim();
            if !name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            {
                continue;
            }
            let Some(tail) = tail.trim_start().strip_prefix("&str = \"") else {
                continue;
            };
            if let Some(end) = tail.find('"') {
                consts.insert(name.to_string(), tail[..end].to_string());
            }
        }
    }
    consts
}

/// The path a route's first argument names: a literal, a constant, or a
/// `format!` of constants; `None` when it cannot be resolved.
fn resolve_path(expr: &str, consts: &BTreeMap<String, String>) -> Option<String> {
    let expr = expr.trim().trim_start_matches('&').trim();
    if let Some(lit) = expr.strip_prefix('"').and_then(|e| e.strip_suffix('"')) {
        return Some(lit.to_string());
    }
    if let Some(args) = expr
        .strip_prefix("format!(")
        .and_then(|e| e.strip_suffix(')'))
    {
        let template = args.trim().strip_prefix('"')?.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    out.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    out.push('}');
                }
                '{' => {
                    let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    out.push_str(consts.get(name.trim())?);
                }
                c => out.push(c),
            }
        }
        return Some(out);
    }
    let name = expr.rsplit("::").next()?;
    consts.get(name).cloned()
}

/// The methods of a method-router expression such as `get(a).post(b)` or
/// `axum::routing::head(h).patch(p).options(o)`: the calls at the top level of
/// the chain (not those inside arguments, e.g. `.layer(..)`).
fn methods_of(expr: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut i = 0;
    let bytes = expr.as_bytes();
    while i < bytes.len() {
        let c = bytes[i] as char;
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < bytes.len()
                && ((bytes[i] as char).is_ascii_alphanumeric() || bytes[i] == b'_')
            {
                i += 1;
            }
            let ident = &expr[start..i];
            if i < bytes.len() && bytes[i] == b'(' {
                if METHODS.contains(&ident) {
                    found.push(ident.to_ascii_uppercase());
                }
                match balanced(expr, i) {
                    Some((_, end)) => i = end,
                    None => break,
                }
            }
        } else {
            i += 1;
        }
    }
    found
}

/// A route with one method, its path parameters' names replaced by `{}`.
fn key(method: &str, path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push('{');
            }
            '}' => {
                in_param = false;
                out.push('}');
            }
            _ if in_param => {}
            c => out.push(c),
        }
    }
    format!("{method} {out}")
}

/// Whether a path is one of the JSON API's (the subject of docs/api.md).
fn in_scope(path: &str) -> bool {
    path == "/healthz" || path.starts_with("/api/v1/")
}

/// Every (METHOD, path) the sources under `dir` register with `.route(..)`,
/// JSON API paths only. Panics on a route whose path does not resolve.
fn routes_in(files: &[PathBuf], consts: &BTreeMap<String, String>) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for file in files {
        let code = code_of(&read(file));
        let mut from = 0;
        while let Some(i) = code[from..].find(".route(") {
            let open = from + i + ".route".len();
            let (args, end) = balanced(&code, open)
                .unwrap_or_else(|| panic!("{}: unbalanced .route( call", file.display()));
            from = end;
            let args = top_level_args(args);
            assert_eq!(
                args.len(),
                2,
                "{}: .route({args:?}) does not have two arguments",
                file.display()
            );
            let path = resolve_path(&args[0], consts).unwrap_or_else(|| {
                panic!(
                    "{}: cannot resolve the route path `{}` (a literal, a &str const or format! of consts)",
                    file.display(),
                    args[0]
                )
            });
            if !in_scope(&path) {
                continue;
            }
            let methods = methods_of(&args[1]);
            assert!(
                !methods.is_empty(),
                "{}: no method in `{}` for {path}",
                file.display(),
                args[1]
            );
            for m in methods {
                routes.insert((m, path.clone()));
            }
        }
    }
    routes
}

/// The `METHOD /path` mentions of `text` (backticks and table bars removed),
/// as [`key`]s, JSON API paths only.
fn mentions(text: &str) -> BTreeSet<String> {
    let cleaned = text.replace(['`', '|', '*'], " ");
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let mut out = BTreeSet::new();
    for pair in words.windows(2) {
        let method = pair[0].trim_start_matches(['(', '[']);
        if !METHODS.iter().any(|m| m.eq_ignore_ascii_case(method))
            || method.to_ascii_uppercase() != method
        {
            continue;
        }
        let path = pair[1]
            .split(['?', ')', ']', ',', ':', '：', '，', '；'])
            .next()
            .unwrap_or("")
            .trim_end_matches('.');
        if in_scope(path) {
            out.insert(key(method, path));
        }
    }
    out
}

/// The headings and table rows of a Markdown text, outside code blocks.
fn headings_and_rows(md: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in md.lines() {
        let t = line.trim_start();
        if t.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code && (t.starts_with('#') || t.starts_with('|')) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

struct Found {
    code: BTreeMap<String, (String, String)>,
    api_md: BTreeSet<String>,
    protocol: BTreeSet<String>,
}

fn gather() -> Found {
    let root = workspace();
    let server_files = rust_files(&root.join("server/src"));
    let mut const_sources: Vec<String> = server_files.iter().map(|f| code_of(&read(f))).collect();
    const_sources.extend(
        rust_files(&root.join("domain/src"))
            .iter()
            .map(|f| code_of(&read(f))),
    );
    let consts = string_consts(&const_sources);
    let code = routes_in(&server_files, &consts)
        .into_iter()
        .map(|(m, p)| (key(&m, &p), (m, p)))
        .collect();
    let api_md = mentions(&headings_and_rows(&read(&root.join("docs/api.md"))));
    let mut protocol_text = read(&root.join("docs/sync-protocol.md"));
    let mut protocol_files: Vec<PathBuf> = std::fs::read_dir(root.join("docs/protocol"))
        .expect("docs/protocol")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    protocol_files.sort();
    for f in protocol_files {
        protocol_text.push('\n');
        protocol_text.push_str(&read(&f));
    }
    Found {
        code,
        api_md,
        protocol: mentions(&protocol_text),
    }
}

#[test]
fn every_json_route_is_documented_and_every_documented_route_exists() {
    let found = gather();
    assert!(
        found.code.len() > 30,
        "only {} routes found in server/src: the parser is broken",
        found.code.len()
    );
    // The parser sees routes of every shape: literal, multi-line with two methods,
    // a const, a format! of a const, and a method router with a path prefix.
    for expected in [
        "GET /healthz",
        "POST /api/v1/login",
        "PUT /api/v1/admin/categories",
        "GET /api/v1/legal/calendar",
        "POST /api/v1/legal/calendar",
        "POST /api/v1/sync",
        "OPTIONS /api/v1/files",
        "HEAD /api/v1/files/{}",
        "PATCH /api/v1/files/{}",
    ] {
        assert!(
            found.code.contains_key(expected),
            "the route parser missed {expected}; it found {:?}",
            found.code.keys().collect::<Vec<_>>()
        );
    }
    let mut undocumented = Vec::new();
    for (k, (method, path)) in &found.code {
        let device = DEVICE_PREFIXES.iter().any(|p| path.starts_with(p));
        let documented = found.api_md.contains(k) || (device && found.protocol.contains(k));
        if !documented {
            undocumented.push(format!("{method} {path}"));
        }
    }
    assert!(
        undocumented.is_empty(),
        "routes without documentation: add a heading or table row naming METHOD + path \
         to docs/api.md (device protocol routes may instead be named in \
         docs/sync-protocol.md or docs/protocol/*.md):\n  {}",
        undocumented.join("\n  ")
    );
    let stale: Vec<&String> = found
        .api_md
        .iter()
        .filter(|k| !found.code.contains_key(*k))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/api.md documents routes the server does not have (path parameters \
         compared as {{}}): {stale:?}"
    );
}

#[test]
fn the_route_parser_reads_multi_line_routes_and_ignores_comments_and_tests() {
    let source = r#"
        // .route("/api/v1/commented", get(x))
        pub fn router() -> Router<AppState> {
            Router::new()
                .route(
                    "/api/v1/a/{id}",
                    get(show).put(edit), // trailing comment
                )
                .route(PATH, axum::routing::head(h).patch(p).layer(DefaultBodyLimit::max(f(1))))
                .route(&format!("{PATH}/{{id}}"), delete(gone))
                .route("/desk", get(page))
        }
        #[cfg(test)]
        mod tests { fn t() { Router::new().route("/api/v1/test-only", get(t)); } }
    "#;
    let consts: BTreeMap<String, String> = [("PATH".to_string(), "/api/v1/b".to_string())].into();
    let dir = std::env::temp_dir().join(format!("liuhen-api-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("sample.rs");
    std::fs::write(&file, source).expect("write sample");
    let routes = routes_in(std::slice::from_ref(&file), &consts);
    let _ = std::fs::remove_dir_all(&dir);
    let got: Vec<String> = routes.iter().map(|(m, p)| format!("{m} {p}")).collect();
    assert_eq!(
        got,
        [
            "DELETE /api/v1/b/{id}",
            "GET /api/v1/a/{id}",
            "HEAD /api/v1/b",
            "PATCH /api/v1/b",
            "PUT /api/v1/a/{id}",
        ]
    );
    let md = "# Title\n### `GET /api/v1/a/{x}`\n| `PUT` | `/api/v1/a/{id}` | y |\n\
              prose GET /api/v1/prose\n```\nGET /api/v1/in-code\n```\n";
    let seen = mentions(&headings_and_rows(md));
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["GET /api/v1/a/{}", "PUT /api/v1/a/{}"]
    );
}
