//! Loading a source's release index: the local `index.json` of a mirror directory, or
//! over HTTP through a short-lived cache revalidated with ETag / Last-Modified. A
//! static server's answer that is not JSON at all (an HTML directory listing, an error
//! page) means "no index here", not a broken index: exact versions still install from
//! sidecars.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{file_url, LoadedIndex, Location, Source, SourceError};
use crate::dist::fetch::{FetchError, Small, Validators};
use crate::dist::index::{Index, IndexError};
use crate::fsutil::write_atomic;
use crate::home::GvrHome;
use crate::report::Reporter;

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheMeta {
    url: String,
    #[serde(default)]
    etag: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
    /// Unix seconds of the last successful fetch or revalidation.
    checked_at: u64,
}

/// What one index URL held.
enum Answer {
    Index(Index),
    /// Not an index; why, for the "no index" message.
    NotAnIndex(String),
}

impl Source {
    /// Loads the index; `Ok(None)` when the source has none, with each URL tried and
    /// what it held recorded for [`Source::index_tried`].
    pub(super) fn load_index(
        &self,
        home: &GvrHome,
        reporter: &dyn Reporter,
    ) -> Result<Option<LoadedIndex>, SourceError> {
        if let Location::Dir(dir) = &self.location {
            if !dir.is_dir() {
                return Err(SourceError::MirrorDirMissing(dir.clone()));
            }
            let path = dir.join("index.json");
            let url = file_url(&path);
            return match std::fs::read(&path) {
                // A file someone put there on purpose: garbage in it is an error.
                Ok(bytes) => Ok(Some(LoadedIndex {
                    index: parse_index(&url, &bytes)?,
                    url,
                })),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    self.tried(format!("{url} (no such file)"));
                    Ok(None)
                }
                Err(source) => Err(SourceError::Io { path, source }),
            };
        }
        let cache_dir = home.index_cache_dir();
        let key = self.cache_key();
        let body_path = cache_dir.join(format!("{key}.json"));
        let meta_path = cache_dir.join(format!("{key}.meta.json"));
        let meta: Option<CacheMeta> = std::fs::read(&meta_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let cached = meta.and_then(|m| Some((std::fs::read(&body_path).ok()?, m)));
        let now = super::unix_now();
        let from_cache = |bytes: &[u8], meta: &CacheMeta| -> Result<_, SourceError> {
            Ok(Some(LoadedIndex {
                index: parse_index(&meta.url, bytes)?,
                url: meta.url.clone(),
            }))
        };

        if let Some((bytes, meta)) = &cached {
            let fresh = now.saturating_sub(meta.checked_at) < self.index_ttl.as_secs();
            if fresh || self.offline() {
                return from_cache(bytes, meta);
            }
        } else if self.offline() {
            return Err(SourceError::OfflineNoIndex {
                source_name: self.name(),
            });
        }

        // Ask the server, conditionally when we have a copy; fall back to the copy when
        // the server cannot be reached (never when it cannot be trusted).
        let mut candidates = self.index_candidates();
        if let Some((_, meta)) = &cached {
            candidates.retain(|u| u != &meta.url);
            candidates.insert(0, meta.url.clone());
        }
        for url in candidates {
            let validators =
                cached
                    .as_ref()
                    .filter(|(_, m)| m.url == url)
                    .map(|(_, m)| Validators {
                        etag: m.etag.clone(),
                        last_modified: m.last_modified.clone(),
                    });
            match self.fetcher.get_small(&url, validators.as_ref(), reporter) {
                Ok(Small::NotModified) => {
                    let (bytes, mut meta) = cached.expect("304 only with validators");
                    meta.checked_at = now;
                    let _ = write_meta(&meta_path, &meta);
                    return from_cache(&bytes, &meta);
                }
                Ok(Small::Body {
                    bytes,
                    etag,
                    last_modified,
                    content_type,
                }) => {
                    let index = match judge(&url, &bytes, content_type.as_deref())? {
                        Answer::Index(index) => index,
                        Answer::NotAnIndex(why) => {
                            self.tried(format!("{url} ({why})"));
                            continue;
                        }
                    };
                    // The cache is an optimisation: failing to write it must not fail the command.
                    let _ = std::fs::create_dir_all(&cache_dir)
                        .and_then(|_| write_atomic(&body_path, &bytes))
                        .and_then(|_| {
                            write_meta(
                                &meta_path,
                                &CacheMeta {
                                    url: url.clone(),
                                    etag,
                                    last_modified,
                                    checked_at: now,
                                },
                            )
                        });
                    return Ok(Some(LoadedIndex { index, url }));
                }
                Err(FetchError::NotFound { status, .. }) => {
                    self.tried(format!("{url} (HTTP {status})"));
                }
                Err(e) => {
                    if let Some((bytes, meta)) = cached.as_ref().filter(|_| !e.is_trust_failure()) {
                        reporter.note(&format!("{e}; using the cached index from {}", meta.url));
                        return from_cache(bytes, meta);
                    }
                    return Err(e.into());
                }
            }
        }
        Ok(None)
    }

    fn tried(&self, what: String) {
        self.index_tried
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(what);
    }
}

/// An index, or a page that is not one. JSON that parses but is not an index is an
/// error: the server meant to serve an index and serves a broken one.
fn judge(url: &str, bytes: &[u8], content_type: Option<&str>) -> Result<Answer, SourceError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if content_type.is_some_and(|c| c.starts_with("text/html")) || first == Some(&b'<') {
        return Ok(Answer::NotAnIndex("an HTML page, not a JSON index".into()));
    }
    // Well-formed first: a truncated `{…` fails the shape check before the syntax one.
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Ok(Answer::NotAnIndex(format!("not JSON: {e}")));
    }
    Index::parse(bytes)
        .map(Answer::Index)
        .map_err(|source: IndexError| SourceError::BadIndex {
            url: url.to_string(),
            source,
        })
}

fn write_meta(path: &Path, meta: &CacheMeta) -> std::io::Result<()> {
    write_atomic(
        path,
        &serde_json::to_vec(meta).map_err(std::io::Error::other)?,
    )
}

pub(super) fn parse_index(url: &str, bytes: &[u8]) -> Result<Index, SourceError> {
    Index::parse(bytes).map_err(|source| SourceError::BadIndex {
        url: url.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_that_are_not_json_are_not_an_index() {
        let html = b"\n<!DOCTYPE HTML><html><body>Directory listing for /</body></html>";
        for (bytes, ct) in [
            (&html[..], Some("text/html; charset=utf-8")),
            (&html[..], None),
            (&b"[]"[..], Some("text/html")),
            (&b"[{\"version\": \"go1.22"[..], Some("application/json")),
            (&b"Not Found"[..], Some("text/plain")),
        ] {
            assert!(
                matches!(judge("u", bytes, ct), Ok(Answer::NotAnIndex(_))),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        assert!(matches!(
            judge("u", b"[]", Some("application/json")),
            Ok(Answer::Index(_))
        ));
        // Well-formed JSON of the wrong shape: a broken index, said so.
        assert!(matches!(
            judge("u", b"{\"error\": \"rate limited\"}", None),
            Err(SourceError::BadIndex { .. })
        ));
    }
}
