//! The admin's page for the agency's public profile (R-PRE-1, R-PRE-4): the texts
//! (执法主体, 职责权限, 监督方式, 救济渠道), the audio/video recording list (R-REC-2) and
//! the flow charts and service guides. Every change is recorded with who and when
//! (`public_profile_events`, append-only). Uploaded files are checked by their
//! magic bytes, limited to [`MAX_DOCUMENT_BYTES`], and written to
//! `<data dir>/public-docs/<sha256>` atomically (temporary file, then rename):
//! a refused or failed upload leaves nothing behind.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub use crate::services::public_docs::{
    DocumentError, MAX_DOCUMENT_BYTES, R_REC_2_STEPS, public_docs_dir, sniff, store_file,
};

use crate::pages::public::before::size_text;
use crate::pages::web::page::{Layout, WebError};
use crate::pages::web::session::WebUser;
use crate::services::labels::Label;
use crate::state::AppState;
use crate::storage::public_profile::{Actor, DocumentKind, PublicDocument, PublicProfile};
use crate::storage::{Role, StorageError};
use liuhen_domain::time::beijing_text;

/// Longest profile text (characters).
pub const MAX_TEXT_CHARS: usize = 4000;
/// Most steps on the recording list, and longest step (characters).
pub const MAX_STEPS: usize = 50;
/// Longest recording step (characters).
pub const MAX_STEP_CHARS: usize = 100;
/// Longest document title (characters).
pub const MAX_TITLE_CHARS: usize = 100;

/// Routes: `GET/POST /admin/public-profile`,
/// `POST /admin/public-profile/documents/{id}/withdraw`.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/admin/public-profile", get(page).post(save_profile))
        .route(
            "/admin/public-profile/documents/{id}/withdraw",
            post(withdraw),
        )
}

/// `POST /admin/public-profile/documents` (multipart) with its own body limit: the
/// application mounts it beside the tus routes, outside the JSON routes' early
/// refusal of bodies larger than [`crate::JSON_BODY_LIMIT`].
pub fn upload_router() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/admin/public-profile/documents",
        post(upload).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 64 * 1024)),
    )
}

/// Checks a profile text: not empty, at most [`MAX_TEXT_CHARS`]; the error names
/// the field.
pub fn check_text(label: &str, text: &str) -> Result<String, String> {
    let t = text.trim().replace("\r\n", "\n");
    if t.is_empty() {
        return Err(format!("R-PRE-1：“{label}”不能为空"));
    }
    let n = t.chars().count();
    if n > MAX_TEXT_CHARS {
        return Err(format!(
            "R-PRE-1：“{label}”不能超过 {MAX_TEXT_CHARS} 字（现为 {n} 字）"
        ));
    }
    Ok(t)
}

/// Parses the recording list (one step per line).
pub fn check_steps(text: &str) -> Result<Vec<String>, String> {
    let steps: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if steps.is_empty() {
        return Err("R-PRE-4：“音像记录清单”至少需要一项（每行一项）".into());
    }
    if steps.len() > MAX_STEPS {
        return Err(format!("R-PRE-4：“音像记录清单”最多 {MAX_STEPS} 项"));
    }
    if let Some(s) = steps.iter().find(|s| s.chars().count() > MAX_STEP_CHARS) {
        return Err(format!(
            "R-PRE-4：“音像记录清单”中的“{s}”过长（每项不超过 {MAX_STEP_CHARS} 字）"
        ));
    }
    Ok(steps)
}

struct DocView {
    id: String,
    kind: &'static str,
    title: String,
    file_name: String,
    size: String,
    uploaded: String,
    withdrawn: String,
}

struct EventView {
    at: String,
    by: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "admin_public/profile.html")]
struct ProfilePage {
    layout: Layout,
    agency_id: String,
    notice: Option<String>,
    error: Option<String>,
    bodies: String,
    duties: String,
    supervision: String,
    remedy: String,
    steps: String,
    docs: Vec<DocView>,
    events: Vec<EventView>,
}

/// `?saved=profile|document|withdrawn`.
#[derive(Debug, Deserialize)]
pub struct Saved {
    /// What was just saved.
    pub saved: Option<String>,
}

/// The profile form.
#[derive(Debug, Deserialize)]
pub struct ProfileForm {
    /// CSRF token.
    pub csrf: Option<String>,
    /// 执法主体.
    pub bodies: Option<String>,
    /// 职责权限.
    pub duties: Option<String>,
    /// 监督方式.
    pub supervision: Option<String>,
    /// 救济渠道.
    pub remedy: Option<String>,
    /// 音像记录清单, one step per line.
    pub steps: Option<String>,
}

async fn build_page(
    st: &AppState,
    user: &WebUser,
    form: Option<&ProfileForm>,
) -> Result<ProfilePage, WebError> {
    let agency = user.user.agency_id.clone();
    let p = st.storage.public_profile(&agency).await?;
    let pick = |typed: Option<&Option<String>>, stored: Option<String>| -> String {
        match typed {
            Some(Some(t)) => t.clone(),
            _ => stored.unwrap_or_default(),
        }
    };
    let steps_stored = Some(
        p.as_ref()
            .map(|p| p.recording_steps.join("\n"))
            .unwrap_or_else(|| R_REC_2_STEPS.join("\n")),
    );
    let docs = st
        .storage
        .public_documents(&agency, true)
        .await?
        .into_iter()
        .map(|d| DocView {
            kind: d.kind.label(),
            size: size_text(d.size),
            uploaded: beijing_text(d.uploaded_at),
            withdrawn: d.deleted_at.map(beijing_text).unwrap_or_default(),
            id: d.id,
            title: d.title,
            file_name: d.file_name,
        })
        .collect();
    let events = st
        .storage
        .public_profile_events(&agency, 30)
        .await?
        .into_iter()
        .map(|e| EventView {
            at: beijing_text(e.at),
            by: e.by_name,
            detail: e.detail,
        })
        .collect();
    Ok(ProfilePage {
        layout: user.layout("admin"),
        agency_id: agency,
        notice: None,
        error: None,
        bodies: pick(
            form.map(|f| &f.bodies),
            p.as_ref().map(|p| p.bodies.clone()),
        ),
        duties: pick(
            form.map(|f| &f.duties),
            p.as_ref().map(|p| p.duties.clone()),
        ),
        supervision: pick(
            form.map(|f| &f.supervision),
            p.as_ref().map(|p| p.supervision.clone()),
        ),
        remedy: pick(
            form.map(|f| &f.remedy),
            p.as_ref().map(|p| p.remedy.clone()),
        ),
        steps: pick(form.map(|f| &f.steps), steps_stored),
        docs,
        events,
    })
}

fn render_page(status: StatusCode, page: &ProfilePage) -> Response {
    crate::pages::web::page::render_status(&page, status)
}

async fn page(
    State(st): State<AppState>,
    user: WebUser,
    Query(q): Query<Saved>,
) -> Result<Response, WebError> {
    user.require(&[Role::Admin])?;
    let mut p = build_page(&st, &user, None).await?;
    p.notice = match q.saved.as_deref() {
        Some("profile") => Some("公示信息已保存，已记入修改记录。".into()),
        Some("document") => Some("文件已上传并公开。".into()),
        Some("withdrawn") => Some("文件已撤下，不再公开（记录保留）。".into()),
        _ => None,
    };
    Ok(render_page(StatusCode::OK, &p))
}

async fn refuse(
    st: &AppState,
    user: &WebUser,
    form: Option<&ProfileForm>,
    msg: String,
) -> Response {
    match build_page(st, user, form).await {
        Ok(mut p) => {
            p.error = Some(msg);
            render_page(StatusCode::BAD_REQUEST, &p)
        }
        Err(e) => e.into_response(),
    }
}

fn actor(st: &AppState, user: &WebUser) -> Actor {
    Actor {
        user_id: user.user.id.clone(),
        name: user.user.name.clone(),
        at: st.clock.now(),
    }
}

async fn save_profile(
    State(st): State<AppState>,
    user: WebUser,
    Form(form): Form<ProfileForm>,
) -> Result<Response, WebError> {
    user.require(&[Role::Admin])?;
    user.check_csrf(form.csrf.as_deref())?;
    let checked = (|| -> Result<PublicProfile, String> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Ok(PublicProfile {
            agency_id: user.user.agency_id.clone(),
            bodies: check_text("执法主体", &text(&form.bodies))?,
            duties: check_text("职责权限", &text(&form.duties))?,
            supervision: check_text("监督方式", &text(&form.supervision))?,
            remedy: check_text("救济渠道", &text(&form.remedy))?,
            recording_steps: check_steps(&text(&form.steps))?,
            updated_by: user.user.id.clone(),
            updated_at: st.clock.now(),
        })
    })();
    let profile = match checked {
        Ok(p) => p,
        Err(msg) => return Ok(refuse(&st, &user, Some(&form), msg).await),
    };
    let before = st.storage.public_profile(&profile.agency_id).await?;
    let mut changed = Vec::new();
    let fields: [(&str, Option<&String>, &String); 4] = [
        (
            "执法主体",
            before.as_ref().map(|b| &b.bodies),
            &profile.bodies,
        ),
        (
            "职责权限",
            before.as_ref().map(|b| &b.duties),
            &profile.duties,
        ),
        (
            "监督方式",
            before.as_ref().map(|b| &b.supervision),
            &profile.supervision,
        ),
        (
            "救济渠道",
            before.as_ref().map(|b| &b.remedy),
            &profile.remedy,
        ),
    ];
    for (label, old, new) in fields {
        if old != Some(new) {
            changed.push(label);
        }
    }
    if before.as_ref().map(|b| &b.recording_steps) != Some(&profile.recording_steps) {
        changed.push("音像记录清单");
    }
    if changed.is_empty() {
        return Ok(Redirect::to("/admin/public-profile?saved=profile").into_response());
    }
    let detail = format!("修改公示信息：{}", changed.join("、"));
    st.storage
        .put_public_profile(&profile, &user.user.name, &detail)
        .await?;
    tracing::info!(user = %user.user.id, agency = %profile.agency_id, %detail, "public profile saved");
    Ok(Redirect::to("/admin/public-profile?saved=profile").into_response())
}

/// The upload form as read from the multipart body.
#[derive(Default)]
struct UploadForm {
    csrf: Option<String>,
    kind: Option<String>,
    title: Option<String>,
    file_name: Option<String>,
    bytes: Vec<u8>,
}

/// Reads the multipart body, refusing a file over [`MAX_DOCUMENT_BYTES`] while
/// reading (nothing is written before the whole file is in and checked).
async fn read_upload(mut mp: Multipart) -> Result<UploadForm, String> {
    let mut f = UploadForm::default();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    return Err(DocumentError::TooLarge {
                        size: "超过 20 MB".into(),
                    }
                    .to_string());
                }
                return Err(format!(
                    "上传内容无法读取（{}），请重新选择文件上传",
                    e.body_text()
                ));
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            f.file_name = field.file_name().map(str::to_string);
            let mut field = field;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if f.bytes.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                            return Err(DocumentError::TooLarge {
                                size: "超过 20 MB".into(),
                            }
                            .to_string());
                        }
                        f.bytes.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                            return Err(DocumentError::TooLarge {
                                size: "超过 20 MB".into(),
                            }
                            .to_string());
                        }
                        return Err(format!("上传中断（{}），文件未保存", e.body_text()));
                    }
                }
            }
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| format!("表单字段“{name}”无法读取：{}", e.body_text()))?;
            if text.len() > 4096 {
                return Err(format!("表单字段“{name}”过长"));
            }
            match name.as_str() {
                "csrf" => f.csrf = Some(text),
                "kind" => f.kind = Some(text),
                "title" => f.title = Some(text),
                _ => {}
            }
        }
    }
    Ok(f)
}

/// A safe file name for downloads: the uploaded name's last path part, without
/// control characters, at most 100 characters.
pub fn clean_file_name(name: Option<&str>, content_type: &str) -> String {
    let base = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect::<String>();
    let ext = match content_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        _ => "jpg",
    };
    let base = base.trim();
    if base.is_empty() {
        format!("document.{ext}")
    } else {
        base.to_string()
    }
}

async fn upload(
    State(st): State<AppState>,
    user: WebUser,
    mp: Multipart,
) -> Result<Response, WebError> {
    user.require(&[Role::Admin])?;
    let form = match read_upload(mp).await {
        Ok(f) => f,
        Err(msg) => {
            tracing::warn!(user = %user.user.id, %msg, "public document refused");
            let status = if msg.contains("20 MB") {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            let mut r = refuse(&st, &user, None, msg).await;
            *r.status_mut() = status;
            return Ok(r);
        }
    };
    user.check_csrf(form.csrf.as_deref())?;
    let kind = match form.kind.as_deref().and_then(DocumentKind::parse) {
        Some(k) => k,
        None => {
            return Ok(refuse(
                &st,
                &user,
                None,
                "请选择文件类别（流程图或服务指南）".into(),
            )
            .await);
        }
    };
    let title = form.title.as_deref().unwrap_or_default().trim().to_string();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Ok(refuse(
            &st,
            &user,
            None,
            format!("“文件名称”不能为空，且不超过 {MAX_TITLE_CHARS} 字"),
        )
        .await);
    }
    if form.bytes.is_empty() {
        return Ok(refuse(&st, &user, None, DocumentError::Empty.to_string()).await);
    }
    let shown_name = form
        .file_name
        .clone()
        .unwrap_or_else(|| "（未命名）".into());
    let Some(content_type) = sniff(&form.bytes) else {
        tracing::warn!(user = %user.user.id, file = %shown_name, "public document is not PDF/PNG/JPEG");
        return Ok(refuse(
            &st,
            &user,
            None,
            DocumentError::WrongType(shown_name).to_string(),
        )
        .await);
    };
    let dir = public_docs_dir(&st);
    let bytes = form.bytes;
    let size = bytes.len() as u64;
    let sha = tokio::task::spawn_blocking(move || store_file(&dir, &bytes))
        .await
        .map_err(|e| WebError::Internal(format!("store task: {e}")))?
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let doc = PublicDocument {
        id: uuid::Uuid::now_v7().to_string(),
        agency_id: user.user.agency_id.clone(),
        kind,
        title,
        file_name: clean_file_name(form.file_name.as_deref(), content_type),
        content_type: content_type.to_string(),
        sha256: sha,
        size,
        uploaded_by: user.user.id.clone(),
        uploaded_at: st.clock.now(),
        deleted_at: None,
    };
    st.storage
        .add_public_document(
            &doc,
            &user.user.name,
            &crate::services::labels::document_added_detail(&doc),
        )
        .await?;
    tracing::info!(user = %user.user.id, doc = %doc.id, sha256 = %doc.sha256, size, "public document uploaded");
    Ok(Redirect::to("/admin/public-profile?saved=document").into_response())
}

/// The withdraw form.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// CSRF token.
    pub csrf: Option<String>,
}

async fn withdraw(
    State(st): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    user.require(&[Role::Admin])?;
    user.check_csrf(form.csrf.as_deref())?;
    match st
        .storage
        .withdraw_public_document(&user.user.agency_id, &id, &actor(&st, &user))
        .await
    {
        Ok(()) => {}
        Err(StorageError::NotFound(_)) => return Err(WebError::NotFound("该公开文件".into())),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user = %user.user.id, doc = %id, "public document withdrawn");
    Ok(Redirect::to("/admin/public-profile?saved=withdrawn").into_response())
}
