//! Imports running in the background, so that an upload answers at once and
//! the browser follows the import on a progress page instead of waiting on
//! one long request that a slow link or a proxy would cut.
//!
//! Jobs live in memory: a restart forgets running jobs, but not their
//! results, since a finished import is an import batch in the store with
//! its summary and rejection report. Job ids are random, and a job is shown
//! only to the user who started it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a finished job stays on its progress page before it is
/// forgotten (its batch page stays for good).
const KEEP_FINISHED: Duration = Duration::from_secs(24 * 3600);

/// What a finished import reported.
#[derive(Clone, Debug, Default)]
pub(crate) struct JobResult {
    pub(crate) batch_id: Option<i64>,
    pub(crate) same_as_batch: Option<i64>,
    pub(crate) read: u64,
    pub(crate) accepted: u64,
    pub(crate) rejected: u64,
    /// Rejected rows kept as unresolved persons (no usable ID number),
    /// with their enrollment, for the comparison engine to match.
    pub(crate) unresolved: u64,
    pub(crate) unchanged: u64,
    pub(crate) inserted: u64,
    pub(crate) updated: u64,
    pub(crate) has_report: bool,
    pub(crate) notes: Vec<String>,
    pub(crate) seconds: u64,
}

/// Where a job is.
#[derive(Clone, Debug)]
pub(crate) enum JobState {
    /// Waiting for or inside the importer, with what it is doing.
    Running { phase: &'static str },
    /// Finished, with its counts.
    Done(JobResult),
    /// Failed, with the importer's Chinese message.
    Failed(String),
}

/// One upload being imported.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) owner: i64,
    pub(crate) file_name: String,
    pub(crate) kind_label: &'static str,
    pub(crate) started: Instant,
    pub(crate) finished: Option<Instant>,
    pub(crate) state: JobState,
}

impl Job {
    /// Seconds since the upload.
    pub(crate) fn elapsed_secs(&self) -> u64 {
        self.finished
            .unwrap_or_else(Instant::now)
            .duration_since(self.started)
            .as_secs()
    }
}

/// The jobs of this server process.
#[derive(Clone, Default)]
pub(crate) struct Jobs {
    inner: Arc<Mutex<HashMap<String, Job>>>,
}

impl Jobs {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Job>> {
        // A panic while holding the lock leaves a map that is still
        // consistent (every update is one insert), so it is used as is.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new running job, forgetting long-finished ones.
    pub(crate) fn start(&self, job: Job) {
        let mut jobs = self.lock();
        jobs.retain(|_, j| j.finished.is_none_or(|f| f.elapsed() < KEEP_FINISHED));
        jobs.insert(job.id.clone(), job);
    }

    /// The job with this id, if `user` started it.
    pub(crate) fn get(&self, id: &str, user: i64) -> Option<Job> {
        self.lock().get(id).filter(|j| j.owner == user).cloned()
    }

    /// Moves a job on.
    pub(crate) fn set(&self, id: &str, state: JobState) {
        if let Some(j) = self.lock().get_mut(id) {
            if !matches!(state, JobState::Running { .. }) {
                j.finished = Some(Instant::now());
            }
            j.state = state;
        }
    }
}
