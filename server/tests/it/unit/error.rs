//! Tests of `server/src/error.rs`.

use axum::http::StatusCode;
use liuhen_domain::model::ModelError;
use liuhen_server::error::*;
use liuhen_server::storage::StorageError;

#[test]
fn backend_details_never_reach_the_user() {
    let e = AppError::from(StorageError::Backend("no such table: users".into()));
    assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(e.code(), "internal");
    assert!(!e.user_message().contains("users"));
}

#[test]
fn codes_and_statuses() {
    let e = AppError::TooManyAttempts {
        retry_after_secs: 61,
    };
    assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(e.user_message(), "登录失败次数过多，请 2 分钟后再试");
    assert_eq!(e.retry_after_secs(), Some(61));
    let e = AppError::TooManyRequests {
        retry_after_secs: 2,
    };
    assert_eq!(e.code(), "too_many_requests");
    assert!(e.user_message().contains("请 2 秒后再试"));
    let e = AppError::AccountThrottled {
        retry_after_secs: 0,
    };
    assert_eq!(e.retry_after_secs(), Some(1));
    assert!(e.user_message().contains("请 1 秒后再试"));
    let e = AppError::from(ModelError::new("officers[0].name", "不能为空"));
    assert_eq!(e.code(), "invalid_field");
    assert!(e.user_message().contains("officers[0].name"));
}
