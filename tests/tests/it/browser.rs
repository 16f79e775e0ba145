//! The browser suites (`*_browser` modules) each drive a headless Chromium through
//! Node. They share this one test binary, whose test threads run side by side, so a
//! process-wide slot keeps to one browser at a time: several Chromium instances on a
//! small machine would compete for memory and CPU rather than finish sooner. Each
//! suite takes the slot only to run Node and Chromium: its server and data are set
//! up before, beside the browser of another suite (issue 17).

use std::sync::{Mutex, MutexGuard};

static BROWSER: Mutex<()> = Mutex::new(());

/// Waits for, then holds, the process's one browser slot until the guard drops. A
/// suite that failed while holding it does not block the others (poison is ignored).
pub fn exclusive() -> MutexGuard<'static, ()> {
    BROWSER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether the suites take screenshots: yes unless `LIUHEN_SCREENSHOTS=0`
/// (scripts/test-all.sh; the specs read the same variable).
pub fn screenshots() -> bool {
    std::env::var("LIUHEN_SCREENSHOTS").map_or(true, |v| v != "0")
}
