//! The body pump: moves one response body into the caller's [`Sink`], skipping what an
//! earlier attempt already delivered, never past the expected size, and judging how
//! the body ended.

use std::io::{self, Read};

use super::classify::Transfer;
use super::http::describe;
use super::retry::{Attempt, Deadline};
use super::{check_magic, Failed, FetchError, Payload, Sink};
use crate::report::Reporter;

/// Bytes needed to recognise an archive (`PK\x03\x04`; gzip needs two).
const MAGIC_LEN: usize = 4;

/// Hands bytes on to a sink, holding back an archive's first bytes until they can be
/// checked: an HTML page or an empty body never reaches the sink.
pub(super) struct Delivery<'s, S: Sink + ?Sized> {
    sink: &'s mut S,
    /// The held-back head of an archive; `None` once checked (or for a plain file).
    held: Option<Vec<u8>>,
}

impl<'s, S: Sink + ?Sized> Delivery<'s, S> {
    pub fn new(sink: &'s mut S, payload: Payload) -> Self {
        let held = (payload == Payload::Archive).then(Vec::new);
        Delivery { sink, held }
    }

    pub fn push(&mut self, url: &str, bytes: &[u8]) -> Result<(), Failed<S::Error>> {
        let Some(head) = self.held.as_mut() else {
            return self.sink.accept(bytes).map_err(Failed::Sink);
        };
        head.extend_from_slice(bytes);
        if head.len() >= MAGIC_LEN {
            self.release(url)?;
        }
        Ok(())
    }

    /// The body is complete: check and hand on whatever is still held back (a body
    /// shorter than the lookahead).
    pub fn finish(&mut self, url: &str) -> Result<(), Failed<S::Error>> {
        self.release(url)
    }

    fn release(&mut self, url: &str) -> Result<(), Failed<S::Error>> {
        if let Some(head) = self.held.take() {
            check_magic(url, &head)?;
            self.sink.accept(&head).map_err(Failed::Sink)?;
        }
        Ok(())
    }
}

/// Reads `body` into `out`, dropping its first `skip` bytes (delivered by an earlier
/// attempt). A broken or short body is worth another attempt; more bytes than the
/// file's size, a sink error or the deadline are not.
#[allow(clippy::too_many_arguments)]
pub(super) fn pump<R: Read, S: Sink + ?Sized>(
    url: &str,
    body: &mut R,
    mut skip: u64,
    t: &mut Transfer,
    out: &mut Delivery<'_, S>,
    buf: &mut [u8],
    deadline: &Deadline,
    reporter: &dyn Reporter,
) -> Result<(), Attempt<S::Error>> {
    loop {
        deadline.check(url)?;
        let n = match body.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Attempt::Retry {
                    reason: format!(
                        "connection broke after {} bytes: {}",
                        t.received,
                        describe(&e)
                    ),
                    after: None,
                })
            }
        };
        let mut chunk = &buf[..n];
        if skip > 0 {
            let s = skip.min(n as u64) as usize;
            skip -= s as u64;
            chunk = &chunk[s..];
        }
        if chunk.is_empty() {
            continue;
        }
        let after = t.received + chunk.len() as u64;
        if let Some(total) = t.total.filter(|total| after > *total) {
            return Err(FetchError::SizeMismatch {
                url: url.to_string(),
                expected: total,
                got: after,
            }
            .into());
        }
        reporter.advance(chunk.len() as u64);
        out.push(url, chunk).map_err(Attempt::Fail)?;
        t.received = after;
    }
    if skip > 0 {
        return Err(Attempt::Retry {
            reason: format!(
                "the body ended after {} bytes, before where the last try stopped",
                t.received - skip
            ),
            after: None,
        });
    }
    match t.total {
        Some(total) if t.received < total => Err(Attempt::Retry {
            reason: format!("the body ended after {} of {total} bytes", t.received),
            after: None,
        }),
        _ => Ok(()),
    }
}
