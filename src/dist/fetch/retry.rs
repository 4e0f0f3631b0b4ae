//! When to try again and when to stop: exponential backoff, the server's `Retry-After`
//! (bounded), a cap on failures in a row, and one overall deadline per fetch.

use std::time::{Duration, Instant};

use super::{Failed, FetchConfig, FetchError};
use crate::report::Reporter;

/// The longest `Retry-After` gvr waits out; a server asking for more is told to the
/// user instead of silently hanging the command.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Attempts in all, however much each one progresses.
const MAX_TOTAL_ATTEMPTS: u32 = 100;

/// How one attempt ended when it did not finish.
pub(super) enum Attempt<E> {
    Retry {
        reason: String,
        /// The server's `Retry-After`, when it gave one.
        after: Option<Duration>,
    },
    Fail(Failed<E>),
}

impl<E> From<FetchError> for Attempt<E> {
    fn from(e: FetchError) -> Attempt<E> {
        Attempt::Fail(Failed::Fetch(e))
    }
}

/// The end of the time one fetch may take.
pub(super) struct Deadline {
    started: Instant,
    limit: Option<Duration>,
}

impl Deadline {
    pub fn start(limit: Option<Duration>) -> Deadline {
        Deadline {
            started: Instant::now(),
            limit,
        }
    }

    fn remaining(&self) -> Option<Duration> {
        self.limit.map(|l| l.saturating_sub(self.started.elapsed()))
    }

    fn error(&self, url: &str) -> FetchError {
        FetchError::TimedOut {
            url: url.to_string(),
            after: self.limit.unwrap_or_default(),
        }
    }

    /// An error once the deadline has passed.
    pub fn check(&self, url: &str) -> Result<(), FetchError> {
        match self.remaining() {
            Some(r) if r.is_zero() => Err(self.error(url)),
            _ => Ok(()),
        }
    }
}

fn backoff(cfg: &FetchConfig, failures: u32) -> Duration {
    cfg.retry_base
        .saturating_mul(1u32 << (failures.saturating_sub(1)).min(16))
}

/// Runs `attempt` until it succeeds or fails for good (offline: not at all). A
/// retryable failure is noted and waited out, up to `cfg.attempts` failures in a row;
/// an attempt that reports progress (`true`) restarts that count, up to
/// [`MAX_TOTAL_ATTEMPTS`] in all: a link that keeps delivering is worth staying on, one
/// that stalls is not. No wait runs past the deadline.
pub(super) fn retrying<T, E>(
    cfg: &FetchConfig,
    url: &str,
    reporter: &dyn Reporter,
    deadline: &Deadline,
    mut attempt: impl FnMut() -> (Result<T, Attempt<E>>, bool),
) -> Result<T, Failed<E>> {
    if cfg.offline {
        return Err(FetchError::Offline {
            url: url.to_string(),
        }
        .into());
    }
    let mut failures = 0;
    let mut total_attempts = 0;
    loop {
        deadline.check(url)?;
        total_attempts += 1;
        let (result, progressed) = attempt();
        let (reason, after) = match result {
            Ok(done) => return Ok(done),
            Err(Attempt::Fail(e)) => return Err(e),
            Err(Attempt::Retry { reason, after }) => (reason, after),
        };
        if progressed && total_attempts < MAX_TOTAL_ATTEMPTS {
            failures = 0;
        }
        failures += 1;
        if failures >= cfg.attempts {
            return Err(FetchError::Unreachable {
                url: url.to_string(),
                attempts: total_attempts,
                reason,
            }
            .into());
        }
        let delay = match after {
            Some(after) if after > MAX_RETRY_AFTER => {
                return Err(FetchError::RetryLater {
                    url: url.to_string(),
                    after,
                }
                .into())
            }
            Some(after) => after,
            None => backoff(cfg, failures),
        };
        if deadline.remaining().is_some_and(|r| r <= delay) {
            return Err(deadline.error(url).into());
        }
        let source = if after.is_some() {
            " as the server asks"
        } else {
            ""
        };
        reporter.note(&format!(
            "{url}: {reason}; retrying in {delay:?}{source} ({failures}/{})",
            cfg.attempts
        ));
        std::thread::sleep(delay);
    }
}
