//! The library's own tests, one file per module of `server/src` (the same path), moved
//! out of the library so that it has no unit-test build of its own (issue 17). They
//! reach what they test through the library's public paths.

mod api;
mod auth;
mod client_addr;
mod demo;
mod error;
mod layers;
mod login_limit;
mod pages;
mod security_headers;
mod services;
