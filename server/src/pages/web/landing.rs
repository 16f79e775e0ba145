//! Where signed-in users land: the officer's page (`/start`, what an officer can
//! do on the web, the work itself being on the phone) and the admin's page
//! (`/admin`, every administration page of the agency). Supervisors land on the
//! desk and legal reviewers on the legal queue ([`super::page::landing`]).

use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::pages::web::page::{Layout, WebError, landing, render};
use crate::pages::web::session::WebUser;
use crate::state::AppState;
use crate::storage::Role;

/// Routes: `/start` and `/admin`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/start", get(start))
        .route("/admin", get(admin))
}

#[derive(Template)]
#[template(path = "landing/start.html")]
struct StartPage {
    layout: Layout,
}

/// `GET /start`: the officer's page; other roles go to their own landing page.
async fn start(user: WebUser) -> Response {
    if user.user.role != Role::Officer {
        return Redirect::to(landing(user.user.role)).into_response();
    }
    render(&StartPage {
        layout: user.layout("start"),
    })
}

#[derive(Template)]
#[template(path = "landing/admin.html")]
struct AdminHome {
    layout: Layout,
}

/// `GET /admin`: the administrator's page.
async fn admin(user: WebUser) -> Result<Response, WebError> {
    user.require(&[Role::Admin])?;
    Ok(render(&AdminHome {
        layout: user.layout("admin"),
    }))
}
