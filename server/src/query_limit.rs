//! Over-long query strings get a clear Chinese answer (issue 10, bad input).
//!
//! Two places refuse them:
//! - [`refuse_long_query`], a middleware: a query string longer than
//!   [`MAX_QUERY_BYTES`] is answered with 414 and a short Chinese page, or the API's
//!   JSON error `{code, message}` under `/api/`.
//! - [`GuardedListener`], for request lines hyper refuses itself before any
//!   middleware runs (a URI of 64 KiB or more is a parse error inside hyper, with a
//!   fixed 414 and an empty body that cannot be configured): the connection's
//!   writes are watched, and hyper's empty automatic 414 (or 431, header too large)
//!   is replaced on the wire by the same Chinese answer. Whether it is a page or
//!   JSON is decided from the start of the request line, kept as it is read.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Longest query string served (8 KiB); longer ones get 414.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// Stable code of the JSON answer.
pub const CODE: &str = "query_too_long";

/// The Chinese message of a refused query string.
pub const MESSAGE: &str = "查询内容过长（超过 8 KB），请缩短搜索条件后重试";

/// The Chinese message of a refused request head (hyper's 431).
pub const HEADERS_MESSAGE: &str = "请求头过大，请清除本站 Cookie 或缩短请求后重试";

fn page(title: &str, message: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} - 留痕</title></head>\n<body>\n<main>\n<h1>{title}</h1>\n\
         <p id=\"error-message\">{message}</p>\n<p><a href=\"/public\">返回公开首页</a></p>\n\
         </main>\n</body>\n</html>\n"
    )
}

fn json(code: &str, message: &str) -> String {
    serde_json::json!({ "code": code, "message": message }).to_string()
}

/// Middleware: refuses a query string longer than [`MAX_QUERY_BYTES`] with 414.
pub async fn refuse_long_query(req: Request, next: Next) -> Response {
    let len = req.uri().query().map_or(0, str::len);
    if len <= MAX_QUERY_BYTES {
        return next.run(req).await;
    }
    tracing::info!(
        path = req.uri().path(),
        query_bytes = len,
        "query string too long"
    );
    let (body, content_type) = if req.uri().path().starts_with("/api/") {
        (json(CODE, MESSAGE), "application/json")
    } else {
        (page("查询内容过长", MESSAGE), "text/html; charset=utf-8")
    };
    let mut r = (StatusCode::URI_TOO_LONG, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The raw response that replaces hyper's empty automatic one.
fn raw_response(status: &str, api: bool, title: &str, message: &str) -> Vec<u8> {
    let (body, content_type) = if api {
        (
            json(
                if status.starts_with("414") {
                    CODE
                } else {
                    "headers_too_large"
                },
                message,
            ),
            "application/json",
        )
    } else {
        (page(title, message), "text/html; charset=utf-8")
    };
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nx-content-type-options: nosniff\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// How many bytes of a request's start are kept to tell `/api/` from pages.
const HEAD_KEEP: usize = 64;

/// A TCP connection whose writes are watched for hyper's automatic empty 414/431.
#[derive(Debug)]
pub struct GuardedStream {
    inner: TcpStream,
    /// The first bytes of the current request.
    head: Vec<u8>,
    /// A response was written since the last read: the next read starts a request.
    fresh: bool,
    /// Our replacement being written, and how many of hyper's bytes it stands for.
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl GuardedStream {
    fn new(inner: TcpStream) -> GuardedStream {
        GuardedStream {
            inner,
            head: Vec::with_capacity(HEAD_KEEP),
            fresh: true,
            pending: None,
        }
    }

    /// Whether the current request asks for `/api/…` (after the method).
    fn api_request(&self) -> bool {
        let h = &self.head;
        h.iter()
            .position(|b| *b == b' ')
            .is_some_and(|sp| h[sp + 1..].starts_with(b"/api/"))
    }

    /// The replacement of `buf` if it is hyper's automatic empty 414 or 431.
    fn replacement(&self, buf: &[u8]) -> Option<Vec<u8>> {
        // Cheap test first: every other write (bodies, downloads) stops here.
        if !buf.starts_with(b"HTTP/1.1 41") {
            return None;
        }
        let empty = buf
            .windows(b"\r\ncontent-length: 0\r\n".len())
            .any(|w| w == b"\r\ncontent-length: 0\r\n");
        if !empty {
            return None;
        }
        if buf.starts_with(b"HTTP/1.1 414 ") {
            Some(raw_response(
                "414 URI Too Long",
                self.api_request(),
                "查询内容过长",
                MESSAGE,
            ))
        } else if buf.starts_with(b"HTTP/1.1 431 ") {
            Some(raw_response(
                "431 Request Header Fields Too Large",
                self.api_request(),
                "请求头过大",
                HEADERS_MESSAGE,
            ))
        } else {
            None
        }
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let res = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = res {
            let new = &buf.filled()[before..];
            if !new.is_empty() {
                if this.fresh {
                    this.head.clear();
                    this.fresh = false;
                }
                let room = HEAD_KEEP.saturating_sub(this.head.len());
                this.head.extend_from_slice(&new[..new.len().min(room)]);
            }
        }
        res
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.is_none() {
            match this.replacement(buf) {
                Some(bytes) => {
                    tracing::info!("request line or head too long; answered in Chinese");
                    this.pending = Some((bytes, 0, buf.len()));
                }
                None => {
                    this.fresh = true;
                    return Pin::new(&mut this.inner).poll_write(cx, buf);
                }
            }
        }
        // Write our replacement in full, then report hyper's bytes as written.
        while let Some((bytes, done, _)) = this.pending.as_mut() {
            if *done >= bytes.len() {
                break;
            }
            match Pin::new(&mut this.inner).poll_write(cx, &bytes[*done..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *done += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        let claimed = this.pending.take().map_or(0, |(_, _, n)| n);
        this.fresh = true;
        Poll::Ready(Ok(claimed))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    // Not vectored: hyper then hands its whole response head to one `poll_write`.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

/// A TCP listener whose connections are [`GuardedStream`]s.
#[derive(Debug)]
pub struct GuardedListener(pub TcpListener);

impl axum::serve::Listener for GuardedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.0).await;
        (GuardedStream::new(io), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// The client's address of a [`GuardedListener`] connection.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, GuardedListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, GuardedListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

/// Middleware: exposes [`PeerAddr`] as `ConnectInfo<SocketAddr>`, as the access
/// log (R-REC-7) reads it.
pub async fn peer_addr_as_socket_addr(mut req: Request, next: Next) -> Response {
    if let Some(ConnectInfo(PeerAddr(a))) = req.extensions().get::<ConnectInfo<PeerAddr>>() {
        let a = *a;
        req.extensions_mut().insert(ConnectInfo(a));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_only_for_hypers_empty_automatic_answers() {
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = a.local_addr().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let s = TcpStream::connect(addr).await.unwrap();
            let mut g = GuardedStream::new(s);
            g.head = b"GET /api/open/v1/decisions?q=xxxx".to_vec();
            let auto = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
            let r = String::from_utf8(g.replacement(auto).unwrap()).unwrap();
            assert!(r.contains(CODE) && r.contains(MESSAGE), "{r}");
            g.head = b"GET /public/decisions?q=xxxx".to_vec();
            let r = String::from_utf8(g.replacement(auto).unwrap()).unwrap();
            assert!(r.contains("<h1>查询内容过长</h1>"), "{r}");
            let ours = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 120\r\n\r\n";
            assert!(g.replacement(ours).is_none());
            assert!(
                g.replacement(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .is_none()
            );
        });
    }
}
