//! Password hashing: Argon2id at OWASP's parameters (19 MiB, t=2, p=1), on
//! `concurrency` threads of its own, so at most that many hashes run at once
//! (memory is bounded by `concurrency × 19 MiB`, and a storm of logins
//! queues instead of taking every core). The threads run as `SCHED_IDLE`:
//! whenever a thread serving pages wakes, the kernel takes the core from a
//! hash at once, so a login storm slows logins, not the site. They are not
//! starved: the kernel still gives an idle-class thread a small share (a
//! weight of 3 against a normal thread's 1,024) when no core is free.

use std::sync::{Arc, Mutex, mpsc};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::oneshot;

/// OWASP's Argon2id minimum: 19 MiB of memory, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

type Job = Box<dyn FnOnce() + Send>;

/// The hashing pool.
#[derive(Debug, Clone)]
pub struct Passwords {
    jobs: mpsc::SyncSender<Job>,
}

/// Why hashing failed (never the password's fault: a bug or a shutdown).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Makes the calling thread `SCHED_IDLE`. A lower nice value is not
/// enough: with a core to spare a hashing thread ran whole hashes there,
/// and a page request woken on that core waited for the scheduler's slice.
/// Measured with `scripts/bench-logins.sh`, the front page's p99 during a
/// storm of 100 logins was 2.4-2.7 times its idle p99 at nice 10, 1.3-4.1
/// times at nice 19 with `SCHED_BATCH`, and 1.1-1.2 times as an idle-class
/// thread.
#[cfg(unix)]
fn lower_priority() -> Result<(), thread_priority::Error> {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Min,
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
    )
}

#[cfg(not(unix))]
fn lower_priority() -> Result<(), thread_priority::Error> {
    thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min)
}

impl Passwords {
    /// A pool running at most `concurrency` hashes at once (at least one).
    pub fn new(concurrency: usize) -> Self {
        let concurrency = concurrency.max(1);
        let (jobs, queue) = mpsc::sync_channel::<Job>(1024);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..concurrency {
            let queue = queue.clone();
            let started = std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || {
                    if let Err(e) = lower_priority() {
                        tracing::warn!(error = ?e, "password hashing runs at normal priority");
                    }
                    loop {
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = started {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Passwords { jobs }
    }

    /// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) of a new password.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let password = password.to_string();
        self.run(move || {
            argon2()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| HashError(e.to_string()))
        })
        .await?
    }

    /// Whether `password` matches the stored PHC string (with the
    /// parameters the string names). An unreadable string matches nothing.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, HashError> {
        let (password, phc) = (password.to_string(), phc.to_string());
        self.run(move || {
            Ok(argon2()
                .verify_password(password.as_bytes(), phc.as_str())
                .is_ok())
        })
        .await?
    }

    /// Spends the time of a verification without a stored hash, so that an
    /// unknown login takes as long to refuse as a wrong password.
    pub async fn verify_nothing(&self, password: &str) -> Result<(), HashError> {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let phc = match DUMMY.get() {
            Some(p) => p.clone(),
            None => {
                let p = self.hash("a password nobody has").await?;
                DUMMY.get_or_init(|| p).clone()
            }
        };
        self.verify(password, &phc).await.map(|_| ())
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        // The queue holds 1,024 waiting hashes; past that, callers wait for
        // room on the blocking pool rather than on a runtime thread.
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(job)) => {
                let jobs = self.jobs.clone();
                tokio::task::spawn_blocking(move || jobs.send(job))
                    .await
                    .map_err(|e| HashError(e.to_string()))?
                    .map_err(|_| HashError("the hashing threads are gone".into()))?;
            }
            Err(mpsc::TrySendError::Disconnected(_)) => {
                return Err(HashError("the hashing threads are gone".into()));
            }
        }
        result
            .await
            .map_err(|_| HashError("a hashing thread stopped".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_name_owasp_parameters() {
        let p = Passwords::new(1);
        let h = p.hash("correct horse battery staple").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(p.verify("correct horse battery staple", &h).await.unwrap());
        assert!(!p.verify("correct horse battery stapler", &h).await.unwrap());
        assert!(!p.verify("x", "not a hash").await.unwrap());
        let again = p.hash("correct horse battery staple").await.unwrap();
        assert_ne!(h, again, "every hash has its own salt");
        p.verify_nothing("anything").await.unwrap();
    }
}
