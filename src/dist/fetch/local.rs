//! A local archive (a mirror directory) read like a download: the same magic-number
//! and size checks, into the same kind of [`Sink`].

use std::io::{self, Read};
use std::path::Path;

use super::pump::Delivery;
use super::{Failed, FetchError, Payload, Sink, CHUNK};
use crate::report::Reporter;

/// Streams the archive at `path` into `sink`. Returns the number of bytes delivered.
pub fn copy_local<S: Sink + ?Sized>(
    path: &Path,
    expected_size: Option<u64>,
    reporter: &dyn Reporter,
    sink: &mut S,
) -> Result<u64, Failed<S::Error>> {
    let shown = path.display().to_string();
    let local = |source| {
        Failed::Fetch(FetchError::Local {
            path: shown.clone(),
            source,
        })
    };
    let mut f = std::fs::File::open(path).map_err(local)?;
    let mut out = Delivery::new(sink, Payload::Archive);
    let mut buf = vec![0u8; CHUNK];
    let mut received = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(local(e)),
        };
        reporter.advance(n as u64);
        out.push(&shown, &buf[..n])?;
        received += n as u64;
    }
    if let Some(expected) = expected_size.filter(|e| *e != received) {
        return Err(Failed::Fetch(FetchError::SizeMismatch {
            url: shown,
            expected,
            got: received,
        }));
    }
    out.finish(&shown)?;
    Ok(received)
}
