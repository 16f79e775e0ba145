//! Request body limits of the JSON endpoints (issue 10 bad input, issue 17).
//!
//! The limit itself is tower-http's [`RequestBodyLimitLayer`]: a declared
//! `Content-Length` over the limit is refused before the handler runs, a body
//! without one (chunked) is cut while it is read. Two small layers complete it:
//! - [`in_chinese`] maps the plain-text 413 of tower-http (or of an axum
//!   extractor) to the API's JSON error `{code: "body_too_large", message}`;
//! - [`drain_on_drop`] keeps reading (and dropping) a body the server refused
//!   unread, up to [`DRAIN_LIMIT`]: a client still writing when the connection
//!   closes would see a reset instead of the answer.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
pub use tower_http::limit::RequestBodyLimitLayer;

use crate::error::AppError;

/// How much of a refused body is read (and dropped) before the connection closes.
pub const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// How long the drain waits for the next piece of a refused body.
const DRAIN_IDLE: Duration = Duration::from_millis(500);

/// Response mapper: a plain-text 413 (tower-http's `length limit exceeded`, axum's
/// `Failed to buffer the request body`) becomes the JSON `body_too_large` error;
/// every other answer, including the JSON 413s of handlers, passes unchanged.
pub async fn in_chinese(resp: Response) -> Response {
    let plain = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE && plain {
        return AppError::BodyTooLarge.into_response();
    }
    resp
}

/// Request mapper: wraps the body in [`DrainOnDrop`].
pub async fn drain_on_drop(req: Request) -> Request {
    req.map(|b| Body::new(DrainOnDrop(Some(b))))
}

/// A request body that, dropped before its end, reads the rest in a task.
#[derive(Debug)]
pub struct DrainOnDrop(Option<Body>);

impl http_body::Body for DrainOnDrop {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        match self.get_mut().0.as_mut() {
            Some(b) => Pin::new(b).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.0.as_ref().is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.0
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), http_body::Body::size_hint)
    }
}

impl Drop for DrainOnDrop {
    fn drop(&mut self) {
        let Some(body) = self.0.take() else { return };
        if http_body::Body::is_end_stream(&body) {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(drain(body));
        }
    }
}

/// Reads and drops up to [`DRAIN_LIMIT`] bytes of `body`, stopping at its end, an
/// error, or a pause of [`DRAIN_IDLE`] (a client waiting for the answer).
async fn drain(body: Body) {
    let mut stream = body.into_data_stream();
    let mut seen = 0usize;
    while seen < DRAIN_LIMIT {
        let next = tokio::time::timeout(DRAIN_IDLE, futures_util::StreamExt::next(&mut stream));
        match next.await {
            Ok(Some(Ok(chunk))) => seen += chunk.len(),
            _ => break,
        }
    }
    tracing::debug!(bytes = seen, "refused request body drained");
}
