//! One HTTP request: reqwest's blocking client over rustls with the platform verifier
//! ([`super::trust`]: the system trust store, or `SSL_CERT_FILE` / `SSL_CERT_DIR`), proxies from
//! `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` / `NO_PROXY`, no content decoding, and
//! redirects followed here rather than by the client, so a hop from https to plain
//! http is refused whatever the caller fetches.

use std::error::Error;
use std::io;

use reqwest::blocking::{Client, Response};
use reqwest::Url;

use super::retry::Attempt;
use super::{FetchConfig, FetchError};

/// Redirects followed per request.
const MAX_REDIRECTS: usize = 10;

pub(super) struct Http {
    client: Client,
}

/// Why a request got no response worth classifying.
pub(super) enum Trouble {
    /// A connection-level failure: worth another attempt.
    Retry(String),
    Fatal(FetchError),
}

impl<E> From<Trouble> for Attempt<E> {
    fn from(t: Trouble) -> Attempt<E> {
        match t {
            Trouble::Retry(reason) => Attempt::Retry {
                reason,
                after: None,
            },
            Trouble::Fatal(e) => e.into(),
        }
    }
}

impl Http {
    pub fn new(cfg: &FetchConfig) -> Result<Http, String> {
        let client = Client::builder()
            .tls_backend_preconfigured(super::trust::client_config()?)
            .user_agent(format!("gvr/{}", crate::GVR_VERSION))
            .connect_timeout(cfg.connect_timeout)
            // The blocking client applies this to each wait: for the response head and
            // for every read of the body. The overall deadline is the fetcher's.
            .timeout(cfg.read_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| describe(&e))?;
        Ok(Http { client })
    }

    /// GETs `url` with `headers`, following redirects (each hop with the same headers).
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Response, Trouble> {
        let mut at = Url::parse(url).map_err(|e| {
            Trouble::Fatal(FetchError::BadUrl {
                url: url.to_string(),
                reason: e.to_string(),
            })
        })?;
        for _ in 0..=MAX_REDIRECTS {
            let mut req = self.client.get(at.clone());
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            // The URL is in every message already.
            let resp = req.send().map_err(|e| trouble(url, &e.without_url()))?;
            if !resp.status().is_redirection() || resp.status().as_u16() == 304 {
                return Ok(resp);
            }
            let Some(location) = resp.headers().get("location").and_then(|v| v.to_str().ok())
            else {
                return Ok(resp);
            };
            let next = at
                .join(location)
                .map_err(|e| bad_redirect(url, location, &e))?;
            match (at.scheme(), next.scheme()) {
                ("https", "http") => {
                    return Err(Trouble::Fatal(FetchError::Downgrade {
                        url: url.to_string(),
                        to: next.to_string(),
                    }))
                }
                (_, "http" | "https") => {}
                (_, other) => {
                    return Err(bad_redirect(
                        url,
                        next.as_str(),
                        &format!("`{other}:` is not http(s)"),
                    ))
                }
            }
            at = next;
        }
        Err(bad_redirect(
            url,
            at.as_str(),
            &format!("more than {MAX_REDIRECTS} redirects"),
        ))
    }
}

fn bad_redirect(url: &str, to: &str, why: &dyn std::fmt::Display) -> Trouble {
    Trouble::Fatal(FetchError::BadRedirect {
        url: url.to_string(),
        to: to.to_string(),
        why: why.to_string(),
    })
}

/// A failed send: a certificate the trust store rejects is fatal (retrying cannot fix
/// it); anything else is a connection problem worth another try.
fn trouble(url: &str, e: &reqwest::Error) -> Trouble {
    if let Some(reason) = certificate_problem(e) {
        return Trouble::Fatal(FetchError::Certificate {
            url: url.to_string(),
            reason,
        });
    }
    Trouble::Retry(describe(e))
}

/// The rustls verdict inside an error chain, when it is about the peer's certificate.
fn certificate_problem(e: &(dyn Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return match r {
                rustls::Error::InvalidCertificate(_)
                | rustls::Error::NoCertificatesPresented
                | rustls::Error::InvalidCertRevocationList(_) => Some(r.to_string()),
                _ => None,
            };
        }
        // io::Error's `source()` skips the error it wraps; look inside it too.
        if let Some(inner) = err.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            if let Some(found) = certificate_problem(inner) {
                return Some(found);
            }
        }
        cur = err.source();
    }
    None
}

/// An error and its causes on one line, without the layers that only say which
/// library noticed ("error sending request", "client error (Connect)").
pub(super) fn describe(e: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        let wrapper = err.source().is_some()
            && (text == "error sending request" || text.starts_with("client error ("));
        if !wrapper && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    parts.join(": ")
}
