//! The server's home page: what is running, in Chinese, for whoever opens the
//! server in a browser, with the way in to the supervisor's desk.

use axum::extract::State;
use axum::response::Html;

use crate::state::AppState;

const PAGE: &str = r#"<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>留痕 · 行政执法全过程记录服务器</title>
<style>body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;line-height:1.7;color:#222}
h1{font-size:1.6rem}code{background:#f3f3f3;padding:0 .3rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .6rem;text-align:left}</style>
</head>
<body>
<h1>留痕 · 行政执法全过程记录服务器</h1>
<p>服务器运行正常（版本 {version}）。执法人员的手机在有网络时与本服务器同步现场检查记录，
证据文件经 SHA-256 校验后保存。</p>
<table>
<tr><th>已同步的检查记录</th><td>{docs}</td></tr>
<tr><th>同步接口</th><td><code>POST /api/v1/sync</code></td></tr>
<tr><th>证据上传（tus 1.0）</th><td><code>/api/v1/files</code></td></tr>
<tr><th>健康检查</th><td><a href="/healthz">/healthz</a></td></tr>
</table>
<p><a href="/desk"><strong>进入审核工作台</strong></a>（审核人员、管理员登录后查看本单位的检查记录，审核通过或退回补正）。</p>
<p class="muted">法制审核和公示页面将在后续版本提供。</p>
</body></html>
"#;

/// `GET /`: the home page.
pub async fn home(State(st): State<AppState>) -> Html<String> {
    // A count over all agencies; shown only as a sign of life.
    let docs = match st.storage.schema_version().await {
        Ok(_) => st
            .storage
            .total_docs()
            .await
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "—".into()),
        Err(_) => "—".into(),
    };
    Html(
        PAGE.replace("{version}", crate::VERSION)
            .replace("{docs}", &docs),
    )
}
