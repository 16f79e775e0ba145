//! The reviewer's page (法制审核): `GET/POST /legal/drafts/{id}/review`. Opening it
//! records that the review started (R-LEGAL-5); the drafter and other roles are
//! refused (R-LEGAL-3: review is by the legal review body, never by who drafted).
//! The form is the R-LEGAL-3 checklist (pass/fail and a note per item) and the
//! written opinion 同意 / 存在问题 (R-LEGAL-4) for the submitted version.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use liuhen_domain::legal::{CheckItem, CheckResult, FieldChange, Opinion, display_fields};

use super::draft_form::page_error;
use super::{DeadlineView, SECTION, Typed, deadline_view, form_user, new_form_id, pairs_of};
use crate::pages::web::page::{Layout, WebError};
use crate::pages::web::session::{SessionProbe, WebUser, forget_kept_form, kept_form};
use crate::services::labels::Label;
use crate::services::legal::workflow::{self, LegalError, READER_ROLES, ReviewInput};
use crate::state::AppState;
use crate::storage::legal::DraftStatus;

/// Routes: the review page.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/legal/drafts/{id}/review", get(page).post(send))
}

/// One checklist item of the form.
#[derive(Debug, Clone)]
pub struct ItemField {
    /// Stable item name (`facts_evidence`, ...).
    pub item: &'static str,
    /// Chinese label.
    pub label: &'static str,
    /// `pass`, `fail` or "" as typed.
    pub result: String,
    /// Note typed.
    pub note: String,
}

#[derive(Template)]
#[template(path = "legal/review.html")]
struct ReviewPage {
    layout: Layout,
    id: String,
    title: String,
    version: u32,
    in_review: bool,
    status_label: &'static str,
    fields: Vec<(&'static str, &'static str, String)>,
    triggers: String,
    catalogue_version: u32,
    changes_since_review: Vec<FieldChange>,
    last_reviewed: u32,
    unsubmitted: Vec<FieldChange>,
    deadline: Option<DeadlineView>,
    csrf: String,
    form_id: String,
    items: Vec<ItemField>,
    opinion: String,
    opinion_text: String,
    refusal: Option<String>,
    duplicate: Option<String>,
    kept_notice: Option<String>,
}

/// A refusal before the page can be shown (role, R-LEGAL-3).
#[derive(Template)]
#[template(path = "legal/refused.html")]
struct RefusedPage {
    layout: Layout,
    heading: &'static str,
    message: String,
    rule: &'static str,
    back: String,
}

fn html(t: &impl Template, status: StatusCode) -> Response {
    crate::pages::web::page::render_status(&t, status)
}

fn page_path(id: &str) -> String {
    format!("/legal/drafts/{id}/review")
}

async fn build(
    st: &AppState,
    user: &WebUser,
    id: &str,
    typed: Option<&Typed>,
) -> Result<ReviewPage, WebError> {
    let d = workflow::detail(st, &user.user, id).await?;
    let submitted = d.versions.last();
    let shown = submitted.map(|v| &v.content).unwrap_or(&d.content);
    let fields = display_fields(shown)
        .into_iter()
        .map(|(f, l, v)| {
            let l = if f == "confidential" {
                "保密内容（不予公开）"
            } else {
                l
            };
            (f, l, v)
        })
        .collect();
    let items = CheckItem::ALL
        .iter()
        .map(|i| ItemField {
            item: i.as_str(),
            label: i.label(),
            result: typed
                .map(|t| t.get(&format!("check:{}", i.as_str())).to_string())
                .unwrap_or_default(),
            note: typed
                .map(|t| t.get(&format!("note:{}", i.as_str())).to_string())
                .unwrap_or_default(),
        })
        .collect();
    Ok(ReviewPage {
        layout: user.layout(SECTION),
        id: id.into(),
        title: shown.title.clone(),
        version: d.record.version,
        in_review: d.record.status == DraftStatus::InReview,
        status_label: d.record.status.label(),
        fields,
        triggers: super::trigger_labels(submitted.map(|v| v.triggers.as_slice()).unwrap_or(&[])),
        catalogue_version: submitted.map(|v| v.catalogue_version).unwrap_or(0),
        changes_since_review: d.changes_since_last_review.clone(),
        last_reviewed: d.reviews.last().map(|r| r.version).unwrap_or(0),
        unsubmitted: d.unsubmitted_changes.clone(),
        deadline: d.deadline.as_ref().map(deadline_view),
        csrf: user.csrf.clone(),
        form_id: new_form_id(),
        items,
        opinion: typed
            .map(|t| t.get("opinion").to_string())
            .unwrap_or_default(),
        opinion_text: typed
            .map(|t| t.get("opinion_text").to_string())
            .unwrap_or_default(),
        refusal: None,
        duplicate: None,
        kept_notice: None,
    })
}

/// The R-LEGAL-3 refusal of a user who may not review this draft.
fn refused(user: &WebUser, id: &str, e: LegalError) -> Response {
    let status = e.status();
    match page_error(e) {
        Ok((message, _)) => {
            tracing::info!(user = %user.user.id, draft = id, reason = %message, "review page refused");
            html(
                &RefusedPage {
                    layout: user.layout(SECTION),
                    heading: "不能进行法制审核",
                    message,
                    rule: "R-LEGAL-3：法制审核由法制审核机构的人员进行；起草、修改或提交决定草案的承办人员不得审核本案。本次未记录任何内容。",
                    back: format!("/legal/drafts/{id}"),
                },
                status,
            )
        }
        Err(r) => r.into_response(),
    }
}

async fn page(
    State(st): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(READER_ROLES)?;
    if let Err(e) = workflow::start_review(&st, &user.user, &id).await {
        return Ok(refused(&user, &id, e));
    }
    let path = page_path(&id);
    let kept = kept_form(&st, &user, &path).await?;
    let typed = kept.as_ref().map(|k| Typed::new(k.fields.clone()));
    let mut p = build(&st, &user, &id, typed.as_ref()).await?;
    if let Some(k) = kept {
        forget_kept_form(&st, &user, &path).await?;
        p.kept_notice = Some(format!(
            "您在登录失效前（{}）填写的审核意见已恢复，尚未提交。请核对后再次提交。",
            liuhen_domain::time::beijing_text(k.saved_at)
        ));
    }
    Ok(html(&p, StatusCode::OK))
}

/// The review typed, or what is missing (in Chinese).
fn input_of(t: &Typed) -> Result<ReviewInput, String> {
    let version: u32 = t
        .get("version")
        .trim()
        .parse()
        .map_err(|_| "页面缺少所审核的版本号，请刷新页面后重新填写".to_string())?;
    let mut checks = vec![];
    for item in CheckItem::ALL {
        let passed = match t.get(&format!("check:{}", item.as_str())) {
            "pass" => true,
            "fail" => false,
            _ => {
                return Err(format!(
                    "R-LEGAL-3：请为审核项“{}”选择“通过”或“不通过”",
                    item.label()
                ));
            }
        };
        checks.push(CheckResult {
            item,
            passed,
            note: t.get(&format!("note:{}", item.as_str())).trim().to_string(),
        });
    }
    let opinion =
        Opinion::parse(t.get("opinion")).ok_or("R-LEGAL-4：请选择审核意见“同意”或“存在问题”")?;
    Ok(ReviewInput {
        version,
        checks,
        opinion,
        opinion_text: t.get("opinion_text").to_string(),
    })
}

async fn send(
    State(st): State<AppState>,
    Path(id): Path<String>,
    probe: SessionProbe,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let typed = match pairs_of(form) {
        Ok(p) => Typed::new(p),
        Err(r) => return r.into_response(),
    };
    let user = match form_user(&st, probe, &page_path(&id), &typed) {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    if let Err(e) = user.require(READER_ROLES) {
        return e.into_response();
    }
    let (msg, status) = match input_of(&typed) {
        Err(msg) => (msg, StatusCode::BAD_REQUEST),
        Ok(input) => match workflow::review(&st, &user.user, &id, &input, typed.form_id()).await {
            Ok(_) => {
                let _ = forget_kept_form(&st, &user, &page_path(&id)).await;
                return Redirect::to(&format!("/legal/drafts/{id}?done=review")).into_response();
            }
            Err(LegalError::Duplicate { .. }) => {
                return match build(&st, &user, &id, None).await {
                    Ok(mut p) => {
                        p.duplicate = Some("此审核意见已出具（表单重复提交），未重复执行。".into());
                        html(&p, StatusCode::OK)
                    }
                    Err(e) => e.into_response(),
                };
            }
            Err(e @ LegalError::Forbidden(_)) => return refused(&user, &id, e),
            Err(e) => match page_error(e) {
                Ok(r) => r,
                Err(r) => return r.into_response(),
            },
        },
    };
    tracing::info!(draft = %id, reason = %msg, "review form refused; input kept");
    match build(&st, &user, &id, Some(&typed)).await {
        Ok(mut p) => {
            p.refusal = Some(msg);
            html(&p, status)
        }
        Err(e) => e.into_response(),
    }
}
