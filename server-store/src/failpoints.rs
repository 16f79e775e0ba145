//! Crash points for the crash tests (issue 16): each names a write boundary of the
//! merge. Configured through the `FAILPOINTS` environment variable of the `fail`
//! crate (`FAILPOINTS=sync.commit.after_doc=return`); a point set to `return`
//! aborts the process on the spot, as a power cut or `kill -9` would. Unset, a
//! point costs one lookup in an empty registry.

/// Aborts the process here if the failpoint `name` is configured (any action that
/// returns). Used at every write boundary of the sync merge.
pub fn crash_point(name: &str) {
    if fail::eval(name, |_| ()).is_some() {
        tracing::error!(
            failpoint = name,
            "crash point reached: aborting the process"
        );
        std::process::abort();
    }
}

/// Every crash point of the sync merge, in the order a merge passes them.
pub const SYNC_MERGE_POINTS: &[&str] = &[
    "sync.merge.before_commit",
    "sync.commit.begin",
    "sync.commit.after_doc",
    "sync.commit.after_evidence",
    "sync.commit.after_summary",
    "sync.commit.after_peer_state",
    "sync.merge.after_commit",
];
