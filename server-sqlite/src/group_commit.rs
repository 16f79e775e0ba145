//! Group commit (issue 19): every write of the SQLite backend is one job for a
//! dedicated writer thread, which runs all the jobs waiting at that moment in one
//! IMMEDIATE transaction (each under its own savepoint) and commits them with one
//! fsync. A job's caller hears its result only after that commit: nothing is
//! answered before it is durable, and a job that fails is rolled back to its
//! savepoint without touching the others.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use liuhen_server_store::{StorageError, StorageResult};

/// Most jobs committed together (bounds the time one transaction holds the lock).
const MAX_GROUP: usize = 256;

/// One unit of work for the writer thread.
trait WriteJob: Send {
    /// Runs the job inside the group's transaction; `false` if it failed (its
    /// writes are then rolled back to its savepoint).
    fn run(&mut self, tx: &Transaction<'_>) -> bool;
    /// Tells the caller the outcome once the group has committed (or failed).
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct Job<T, F> {
    work: Option<F>,
    out: Option<StorageResult<T>>,
    done: oneshot::Sender<StorageResult<T>>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Transaction<'_>) -> StorageResult<T> + Send + 'static,
{
    fn run(&mut self, tx: &Transaction<'_>) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let out = catch_unwind(AssertUnwindSafe(|| work(tx))).unwrap_or_else(|_| {
            Err(StorageError::Backend(
                "a write panicked and was rolled back".into(),
            ))
        });
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let result = match (self.out, committed) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(v),
            (_, Err(e)) => Err(StorageError::Backend(e)),
            (None, Ok(())) => Err(StorageError::Backend("write was not run".into())),
        };
        // The caller may have gone (request cancelled): the write stands regardless.
        let _ = self.done.send(result);
    }
}

/// Handle to the writer thread; dropping every handle ends the thread.
pub(super) struct Writer {
    jobs: mpsc::Sender<Box<dyn WriteJob>>,
}

impl Writer {
    /// Starts the writer thread owning `conn`.
    pub(super) fn start(conn: Connection) -> std::io::Result<Self> {
        let (jobs, rx) = mpsc::channel::<Box<dyn WriteJob>>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run_writer(conn, rx))?;
        Ok(Writer { jobs })
    }

    /// Runs `f` in the next group transaction; resolves after it has committed.
    pub(super) async fn write<T, F>(&self, f: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StorageResult<T> + Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let job = Box::new(Job {
            work: Some(f),
            out: None,
            done,
        });
        self.jobs
            .send(job)
            .map_err(|_| StorageError::Backend("the database writer has stopped".into()))?;
        result
            .await
            .map_err(|_| StorageError::Backend("the database writer has stopped".into()))?
    }
}

fn run_writer(mut conn: Connection, rx: mpsc::Receiver<Box<dyn WriteJob>>) {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let committed = run_group(&mut conn, &mut group).map_err(|e| e.to_string());
        if let Err(e) = &committed {
            tracing::error!(error = %e, jobs = group.len(), "group commit failed");
        }
        for job in group {
            job.finish(committed.clone());
        }
    }
}

fn run_group(conn: &mut Connection, group: &mut [Box<dyn WriteJob>]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Through the statement cache: these run once per job, not once per group.
    let step = |sql: &str| tx.prepare_cached(sql).and_then(|mut s| s.execute([]));
    for job in group.iter_mut() {
        step("SAVEPOINT job")?;
        if job.run(&tx) {
            step("RELEASE job")?;
        } else {
            step("ROLLBACK TO job")?;
            step("RELEASE job")?;
        }
    }
    tx.commit()
}
