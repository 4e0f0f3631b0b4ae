//! The response classifier: a download response's status and headers, weighed against
//! what the transfer has seen so far, become one [`Plan`]. Pure: no I/O, so every rule
//! is unit-tested on its own.

use std::time::{Duration, SystemTime};

use super::FetchError;

/// The parts of a response the decisions need.
#[derive(Debug, Default, Clone)]
pub(super) struct Head {
    pub status: u16,
    pub content_length: Option<u64>,
    pub content_range: Option<String>,
    /// Lower-cased.
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// `Retry-After`, as a delay from now.
    pub retry_after: Option<Duration>,
}

impl Head {
    pub fn of(resp: &reqwest::blocking::Response) -> Head {
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_string())
        };
        Head {
            status: resp.status().as_u16(),
            content_length: header("content-length").and_then(|s| s.parse().ok()),
            content_range: header("content-range"),
            content_type: header("content-type").map(|s| s.to_ascii_lowercase()),
            etag: header("etag"),
            last_modified: header("last-modified"),
            retry_after: header("retry-after").and_then(|v| parse_retry_after(&v)),
        }
    }

    /// What identifies this version of the file for `If-Range`: a strong ETag, else
    /// `Last-Modified` (a weak ETag may not be used there).
    pub fn validator(&self) -> Option<&str> {
        match &self.etag {
            Some(e) if !e.starts_with("W/") => Some(e),
            _ => self.last_modified.as_deref(),
        }
    }
}

/// What is known about one file across attempts.
#[derive(Debug)]
pub(super) struct Transfer {
    /// Bytes handed to the sink so far.
    pub received: u64,
    /// The file's size: the caller's expectation, else what the first response said.
    pub total: Option<u64>,
    /// The first response's validator, sent as `If-Range` when resuming.
    pub validator: Option<String>,
    /// Whether to ask for ranges (false once the server answered one wrongly).
    pub ranges: bool,
}

impl Transfer {
    pub fn new(expected_size: Option<u64>) -> Transfer {
        Transfer {
            received: 0,
            total: expected_size,
            validator: None,
            ranges: true,
        }
    }

    /// A transfer whose first `offset` bytes an earlier process already has: the first
    /// request asks for the rest (no validator is known, so no `If-Range`).
    pub fn from_offset(expected_size: Option<u64>, offset: u64) -> Transfer {
        Transfer {
            received: offset,
            ..Transfer::new(expected_size)
        }
    }

    /// The next request continues where the last one stopped.
    pub fn resuming(&self) -> bool {
        self.received > 0 && self.ranges
    }
}

/// The decision about one response.
#[derive(Debug)]
pub(super) enum Plan {
    /// Read the body, dropping its first `skip` bytes (already delivered). `restarted`:
    /// the server ignored the range and sends the file from the start.
    Read {
        skip: u64,
        restarted: bool,
    },
    /// Everything was already delivered.
    Complete,
    /// Worth another attempt, after `after` if the server said so.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    Fail(FetchError),
}

pub(super) fn retryable_status(status: u16) -> bool {
    status >= 500 || status == 408 || status == 429
}

/// Decides what to do with `head`, the answer to a request that asked for a range
/// when `resumed`, and records in `t` what it fixes (size, validator, range support).
pub(super) fn classify(url: &str, head: &Head, t: &mut Transfer, resumed: bool) -> Plan {
    let fail = |e| Plan::Fail(e);
    let mismatch = |expected, got| {
        fail(FetchError::SizeMismatch {
            url: url.to_string(),
            expected,
            got,
        })
    };
    let status = head.status;
    let skip = match status {
        200 => {
            if t.received > 0 && changed(t, head) {
                return fail(FetchError::Changed {
                    url: url.to_string(),
                });
            }
            if let Some(len) = head.content_length {
                match t.total {
                    Some(total) if total != len => return mismatch(total, len),
                    _ => t.total = Some(len),
                }
            }
            t.received
        }
        206 if resumed => {
            let range = head.content_range.clone().unwrap_or_default();
            match parse_content_range(&range) {
                Some((start, total)) if start == t.received => {
                    if changed(t, head) {
                        return fail(FetchError::Changed {
                            url: url.to_string(),
                        });
                    }
                    match (t.total, total) {
                        (Some(expected), Some(got)) if expected != got => {
                            return mismatch(expected, got)
                        }
                        (None, Some(got)) => t.total = Some(got),
                        _ => {}
                    }
                    0
                }
                _ => {
                    // A range we did not ask for: stop trusting Range on this server.
                    t.ranges = false;
                    return Plan::Retry {
                        reason: format!("unexpected Content-Range `{range}`"),
                        after: None,
                    };
                }
            }
        }
        416 if resumed => {
            if t.total == Some(t.received) {
                return Plan::Complete;
            }
            t.ranges = false;
            return Plan::Retry {
                reason: "the server refused the resume range".into(),
                after: None,
            };
        }
        404 | 410 => {
            return fail(FetchError::NotFound {
                url: url.to_string(),
                status,
            })
        }
        s if retryable_status(s) => {
            return Plan::Retry {
                reason: format!("HTTP {s}"),
                after: head.retry_after,
            }
        }
        s => {
            return fail(FetchError::Status {
                url: url.to_string(),
                status: s,
            })
        }
    };
    if let Some(ct) = head
        .content_type
        .as_deref()
        .filter(|c| c.starts_with("text/html"))
    {
        return fail(FetchError::NotAnArchive {
            url: url.to_string(),
            what: format!("HTTP {status} with Content-Type `{ct}` (an HTML page, not an archive)"),
        });
    }
    if t.received == 0 {
        // Nothing delivered yet: this response's version of the file is the one to resume.
        t.validator = head.validator().map(str::to_string);
    }
    Plan::Read {
        skip,
        restarted: resumed && status == 200,
    }
}

/// The response names a different version of the file than the one being resumed.
fn changed(t: &Transfer, head: &Head) -> bool {
    match (&t.validator, head.validator()) {
        (Some(first), Some(now)) => first != now,
        _ => false,
    }
}

/// `bytes START-END/TOTAL` → (START, TOTAL) with TOTAL `None` for `*`.
pub(super) fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start.trim().parse().ok()?, total))
}

/// `Retry-After`: delay-seconds or an HTTP date.
pub(super) fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(status: u16) -> Head {
        Head {
            status,
            ..Head::default()
        }
    }

    fn ranged(start: u64, total: &str, etag: Option<&str>) -> Head {
        Head {
            content_range: Some(format!("bytes {start}-99/{total}")),
            etag: etag.map(str::to_string),
            ..head(206)
        }
    }

    fn resumed_at(received: u64, total: Option<u64>, validator: Option<&str>) -> Transfer {
        Transfer {
            received,
            total,
            validator: validator.map(str::to_string),
            ranges: true,
        }
    }

    #[test]
    fn first_response_fixes_size_and_validator() {
        let mut t = Transfer::new(None);
        let h = Head {
            content_length: Some(100),
            etag: Some("\"a\"".into()),
            ..head(200)
        };
        assert!(matches!(
            classify("u", &h, &mut t, false),
            Plan::Read {
                skip: 0,
                restarted: false
            }
        ));
        assert_eq!(
            (t.total, t.validator.as_deref()),
            (Some(100), Some("\"a\""))
        );
    }

    #[test]
    fn weak_etag_gives_way_to_last_modified() {
        let h = Head {
            etag: Some("W/\"a\"".into()),
            last_modified: Some("Sun, 06 Nov 1994 08:49:37 GMT".into()),
            ..head(200)
        };
        assert_eq!(h.validator(), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
    }

    #[test]
    fn content_length_disagreeing_with_the_expectation_fails() {
        let mut t = Transfer::new(Some(999));
        let h = Head {
            content_length: Some(1000),
            ..head(200)
        };
        assert!(matches!(
            classify("u", &h, &mut t, false),
            Plan::Fail(FetchError::SizeMismatch {
                expected: 999,
                got: 1000,
                ..
            })
        ));
    }

    #[test]
    fn resume_continues_at_the_right_offset() {
        let mut t = resumed_at(40, Some(100), Some("\"a\""));
        assert!(matches!(
            classify("u", &ranged(40, "100", Some("\"a\"")), &mut t, true),
            Plan::Read {
                skip: 0,
                restarted: false
            }
        ));
    }

    #[test]
    fn a_206_whose_total_disagrees_is_an_error_not_a_new_expectation() {
        let mut t = resumed_at(40, Some(100), None);
        let plan = classify("u", &ranged(40, "150", None), &mut t, true);
        assert!(
            matches!(
                plan,
                Plan::Fail(FetchError::SizeMismatch {
                    expected: 100,
                    got: 150,
                    ..
                })
            ),
            "{plan:?}"
        );
        assert_eq!(t.total, Some(100));
        // With no expectation yet, the first total seen becomes it.
        let mut t = resumed_at(40, None, None);
        classify("u", &ranged(40, "150", None), &mut t, true);
        assert_eq!(t.total, Some(150));
    }

    #[test]
    fn a_wrong_range_stops_resuming() {
        let mut t = resumed_at(40, Some(100), None);
        assert!(matches!(
            classify("u", &ranged(10, "100", None), &mut t, true),
            Plan::Retry { .. }
        ));
        assert!(!t.ranges);
    }

    #[test]
    fn a_200_to_a_resume_restarts_unless_the_file_changed() {
        let mut t = resumed_at(40, Some(100), Some("\"a\""));
        let same = Head {
            content_length: Some(100),
            etag: Some("\"a\"".into()),
            ..head(200)
        };
        assert!(matches!(
            classify("u", &same, &mut t, true),
            Plan::Read {
                skip: 40,
                restarted: true
            }
        ));
        let other = Head {
            etag: Some("\"b\"".into()),
            ..same
        };
        assert!(matches!(
            classify("u", &other, &mut t, true),
            Plan::Fail(FetchError::Changed { .. })
        ));
    }

    #[test]
    fn range_past_the_end_is_complete_only_at_the_expected_size() {
        let mut t = resumed_at(100, Some(100), None);
        assert!(matches!(
            classify("u", &head(416), &mut t, true),
            Plan::Complete
        ));
        let mut t = resumed_at(90, Some(100), None);
        assert!(matches!(
            classify("u", &head(416), &mut t, true),
            Plan::Retry { .. }
        ));
        assert!(!t.ranges);
    }

    #[test]
    fn statuses() {
        let mut t = Transfer::new(None);
        assert!(matches!(
            classify("u", &head(404), &mut t, false),
            Plan::Fail(FetchError::NotFound { status: 404, .. })
        ));
        assert!(matches!(
            classify("u", &head(403), &mut t, false),
            Plan::Fail(FetchError::Status { status: 403, .. })
        ));
        let busy = Head {
            retry_after: Some(Duration::from_secs(2)),
            ..head(503)
        };
        assert!(matches!(
            classify("u", &busy, &mut t, false),
            Plan::Retry { after: Some(d), .. } if d == Duration::from_secs(2)
        ));
        let html = Head {
            content_type: Some("text/html; charset=utf-8".into()),
            ..head(200)
        };
        assert!(matches!(
            classify("u", &html, &mut t, false),
            Plan::Fail(FetchError::NotAnArchive { .. })
        ));
    }

    #[test]
    fn content_range_parsing() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let d = parse_retry_after(&later).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
