//! [`Http`] over dist's [`Fetcher`]: its retries, resume and timeouts.

use std::io;

use super::{Http, HttpError};
use crate::dist::fetch::{FetchError, Fetcher, Small};
use crate::report::Reporter;

pub struct FetcherHttp<'f>(pub &'f Fetcher);

fn map(e: FetchError) -> HttpError {
    match e {
        FetchError::NotFound { url, .. } => HttpError::NotFound(url),
        e if e.is_trust_failure() => HttpError::Untrusted(e.to_string()),
        e => HttpError::Failed(e.to_string()),
    }
}

impl Http for FetcherHttp<'_> {
    fn get(&self, url: &str, reporter: &dyn Reporter) -> Result<Vec<u8>, HttpError> {
        match self.0.get_small(url, None, reporter).map_err(map)? {
            Small::Body { bytes, .. } => Ok(bytes),
            Small::NotModified => Err(HttpError::Failed(format!(
                "{url} answered 304 Not Modified to an unconditional request"
            ))),
        }
    }

    fn download(
        &self,
        url: &str,
        reporter: &dyn Reporter,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, HttpError> {
        self.0.download(url, None, reporter, sink).map_err(map)
    }
}
