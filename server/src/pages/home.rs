//! The server's home page (`/`): what is running, in Chinese, and the ways in — the
//! public portal, sign-in, and, for a signed-in user, the pages of their role.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::pages::web::page::{Layout, render};
use crate::pages::web::session::WebUser;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "landing/home.html")]
struct HomePage {
    layout: Layout,
    version: &'static str,
    docs: String,
}

/// `GET /`: the home page.
pub async fn home(State(st): State<AppState>, user: Option<WebUser>) -> Response {
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
    let layout = match &user {
        Some(u) => u.layout("home"),
        None => Layout::anonymous(),
    };
    render(&HomePage {
        layout,
        version: crate::VERSION,
        docs,
    })
}
