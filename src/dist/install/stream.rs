//! Getting an archive into the stage: from `downloads/<sha256>` when the digest is
//! known and cached, else from the source; read once through the [`Tee`], its digest
//! checked as soon as the last byte is in, unpacked into the stage directory.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::tee::{Feed, PartialFile, Tee, TeeError};
use super::{io_error, unpack_error, InstallError, Stage};
use crate::dist::fetch::{self, Failed, FetchError, Payload};
use crate::dist::source::{ArchiveLocation, Located, Source};
use crate::dist::unpack::{self, Format, UnpackError};
use crate::home::GvrHome;
use crate::report::Reporter;

/// What came out of a download: the archive's actual digest and size.
pub(super) struct Fetched {
    pub sha256: String,
    pub size: u64,
    pub from_cache: bool,
}

/// How reading one archive failed, by stage.
enum StreamError {
    Fetch(FetchError),
    Partial { path: PathBuf, source: io::Error },
    Mismatch { expected: String, actual: String },
    Unpack(UnpackError),
}

/// Gets the archive `located` names, verified and unpacked into `stage.dir`.
pub(super) fn fetch_verified(
    home: &GvrHome,
    source: &Source,
    located: &Located,
    stage: &Stage,
    reporter: &dyn Reporter,
) -> Result<Fetched, InstallError> {
    let url = located.location.to_string();
    if let Some(expected) = &located.sha256 {
        let cached = home.download_path(expected);
        if cached.is_file() {
            reporter.start(
                &format!("using the cached download {}", cached.display()),
                located.size,
            );
            let input = ArchiveLocation::Path(cached.clone());
            let from_cache = ArchiveStream {
                source,
                input: &input,
                size: located.size,
                expected: Some(expected),
                partial: None,
                dest: &stage.dir,
            };
            match from_cache.run(reporter) {
                Ok((sha256, size)) => {
                    return Ok(Fetched {
                        sha256,
                        size,
                        from_cache: true,
                    })
                }
                Err(e) => {
                    reporter.finish();
                    let why = match e {
                        StreamError::Mismatch { .. } => "its sha256 no longer matches".to_string(),
                        StreamError::Fetch(e) => e.to_string(),
                        StreamError::Unpack(e) => e.to_string(),
                        StreamError::Partial { path, source } => {
                            return Err(io_error(&path, source))
                        }
                    };
                    reporter.note(&format!(
                        "the cached download {} is damaged ({why}); fetching it again",
                        cached.display()
                    ));
                    let _ = fs::remove_file(&cached);
                    stage.reset()?;
                }
            }
        }
    }

    let verb = match &located.location {
        ArchiveLocation::Url(_) => "downloading",
        ArchiveLocation::Path(_) => "copying",
    };
    reporter.start(&format!("{verb} {url}"), located.size);
    let version = &located.version;
    let fresh = ArchiveStream {
        source,
        input: &located.location,
        size: located.size,
        expected: located.sha256.as_deref(),
        partial: Some(&stage.partial),
        dest: &stage.dir,
    };
    let (sha256, size) = fresh.run(reporter).map_err(|e| match e {
        StreamError::Fetch(FetchError::Offline { url }) => InstallError::OfflineMiss {
            version: version.clone(),
            url,
        },
        StreamError::Fetch(FetchError::NotFound { url, status }) => InstallError::ArchiveMissing {
            version: version.clone(),
            url,
            why: format!("HTTP {status}"),
        },
        StreamError::Fetch(FetchError::Local { source, .. })
            if source.kind() == io::ErrorKind::NotFound =>
        {
            InstallError::ArchiveMissing {
                version: version.clone(),
                url: url.clone(),
                why: "no such file".into(),
            }
        }
        StreamError::Fetch(e) => InstallError::Fetch {
            version: version.clone(),
            source: e,
        },
        StreamError::Mismatch { expected, actual } => InstallError::ChecksumMismatch {
            url: url.clone(),
            expected,
            actual,
        },
        StreamError::Partial { path, source } => io_error(&path, source),
        StreamError::Unpack(e) => unpack_error(&url, e),
    })?;
    Ok(Fetched {
        sha256,
        size,
        from_cache: false,
    })
}

/// One read of one archive.
struct ArchiveStream<'a> {
    source: &'a Source,
    input: &'a ArchiveLocation,
    size: Option<u64>,
    /// The sha256 to hold the bytes to (`None`: unverified).
    expected: Option<&'a str>,
    /// Where to keep a copy (a download); `None` when reading a cached copy.
    partial: Option<&'a Path>,
    dest: &'a Path,
}

impl ArchiveStream<'_> {
    /// Reads the archive once, unpacking a tar.gz while the bytes arrive and a zip
    /// afterwards. Ends the reporter's current step and reports the later ones. Returns
    /// the digest and the size.
    fn run(&self, reporter: &dyn Reporter) -> Result<(String, u64), StreamError> {
        let partial = match self.partial {
            Some(p) => Some(PartialFile::create(p).map_err(StreamError::from)?),
            None => None,
        };
        std::thread::scope(|s| {
            // The unpacker is bounded by the size the source announced, if any.
            let limits = unpack::Limits::for_archive(self.size);
            let mut tee = Tee::new(partial, Feed::new(s, self.dest, limits));
            let received = match self.input {
                ArchiveLocation::Url(u) => self.source.fetcher().download_to(
                    u,
                    self.size,
                    Payload::Archive,
                    reporter,
                    &mut tee,
                ),
                ArchiveLocation::Path(p) => fetch::copy_local(p, self.size, reporter, &mut tee),
            };
            let (sha256, mut feed) = tee.into_parts();
            reporter.finish();
            let size = match received {
                Ok(n) => n,
                Err(e) => {
                    // The unpacker's own error explains a hang-up; wait for it either way.
                    let unpacked = feed.join();
                    return Err(match (e, unpacked) {
                        (Failed::Sink(TeeError::UnpackerStopped), Some(Err(u))) => {
                            StreamError::Unpack(u)
                        }
                        (Failed::Sink(e), _) => e.into(),
                        (Failed::Fetch(e), _) => StreamError::Fetch(e),
                    });
                }
            };

            reporter.start("verifying sha256", None);
            if let Some(expected) = self.expected.filter(|e| *e != sha256) {
                feed.join(); // whatever it wrote goes with the stage
                return Err(StreamError::Mismatch {
                    expected: expected.to_string(),
                    actual: sha256,
                });
            }
            reporter.finish();

            reporter.start("unpacking", None);
            match (feed.format(), feed.join()) {
                (Some(Format::TarGz), Some(r)) => {
                    r.map_err(StreamError::Unpack)?;
                }
                (Some(Format::Zip), _) => {
                    let path = match (self.partial, self.input) {
                        (Some(p), _) => p.to_path_buf(),
                        (None, ArchiveLocation::Path(p)) => p.clone(),
                        (None, ArchiveLocation::Url(_)) => {
                            unreachable!("downloads always go to a partial file")
                        }
                    };
                    unpack::unpack_zip(&path, self.dest).map_err(StreamError::Unpack)?;
                }
                _ => {
                    return Err(StreamError::Unpack(UnpackError::Corrupt(
                        "unknown archive format".into(),
                    )))
                }
            }
            reporter.finish();
            Ok((sha256, size))
        })
    }
}

impl From<TeeError> for StreamError {
    fn from(e: TeeError) -> StreamError {
        match e {
            TeeError::Partial { path, source } => StreamError::Partial { path, source },
            TeeError::UnpackerStopped => StreamError::Unpack(UnpackError::Corrupt(
                "the unpacker stopped without saying why".into(),
            )),
        }
    }
}
