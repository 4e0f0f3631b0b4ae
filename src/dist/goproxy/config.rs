//! The go command's module settings as gvr reads them: the environment, else Go's env
//! file (`go env -w`), else Go's defaults; GOPROXY's list syntax; GONOSUMDB/GOPRIVATE
//! patterns; `.netrc` credentials.

use std::path::{Path, PathBuf};

use gvr_core::go_env_file::GoEnv;
use gvr_core::process::Process;

/// Go's default `GOPROXY`.
pub const DEFAULT_GOPROXY: &str = "https://proxy.golang.org,direct";

/// Go's settings for the module proxy and checksum database, read by the core's one
/// reader of go's env files. No `$GOROOT/go.env` layer: gvr is not running under a Go
/// SDK here and the release it installs is not unpacked yet, so Go's own defaults (the
/// ones a stock `go.env` sets) stand in for it.
pub fn load_go_env(p: &dyn Process) -> GoEnv {
    GoEnv::load(p, None)
}

/// `key` as go uses it: the environment, then go's env file; `None` when unset or empty.
pub fn go_setting(env: &GoEnv, p: &dyn Process, key: &str) -> Option<String> {
    env.effective(p, key).map(|v| v.value)
}

/// One entry of a GOPROXY list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proxy {
    /// A proxy URL (`https://…`, `http://…` or `file://…`, no trailing slash).
    /// `fall_back_on_error`: it was followed by `|`, so any error moves on; after `,`
    /// only "not found" does.
    Url {
        url: String,
        fall_back_on_error: bool,
    },
    /// `direct`: fetch from the module's origin; the toolchain module has none gvr can
    /// use, so it ends the list.
    Direct,
    /// `off`: no further source may be used.
    Off,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProxyListError {
    #[error("GOPROXY `{0}` contains no entries")]
    Empty(String),
    #[error("GOPROXY entry `{entry}` is not a URL gvr can use ({why})")]
    BadEntry { entry: String, why: String },
}

/// Parses GOPROXY as the go command does: entries split on `,` or `|`, an entry
/// without a scheme gets `https://`, `off` and `direct` end the list.
pub fn parse_proxy_list(value: &str) -> Result<Vec<Proxy>, ProxyListError> {
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let (entry, fall_back_on_error, next) = match rest.find([',', '|']) {
            Some(i) => (&rest[..i], rest.as_bytes()[i] == b'|', &rest[i + 1..]),
            None => (rest, false, ""),
        };
        rest = next;
        let entry = entry.trim();
        match entry {
            "" => continue,
            "off" => {
                out.push(Proxy::Off);
                break;
            }
            "direct" => {
                out.push(Proxy::Direct);
                break;
            }
            _ => {}
        }
        let mut url = entry.to_string();
        if url.contains(['.', ':', '/']) && !url.contains(":/") && !url.starts_with('/') {
            url = format!("https://{url}");
        }
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://")
            || lower.starts_with("http://")
            || lower.starts_with("file://"))
        {
            return Err(ProxyListError::BadEntry {
                entry: entry.to_string(),
                why: "want an https://, http:// or file:// URL".into(),
            });
        }
        out.push(Proxy::Url {
            url: url.trim_end_matches('/').to_string(),
            fall_back_on_error,
        });
    }
    if out.is_empty() {
        return Err(ProxyListError::Empty(value.to_string()));
    }
    Ok(out)
}

/// Go's module path pattern lists (GONOSUMDB, GOPRIVATE, GOINSECURE): comma-separated
/// globs, each matching a path prefix of as many elements as it has.
pub fn matches_prefix_patterns(patterns: &str, module: &str) -> bool {
    patterns
        .split(',')
        .map(|p| p.trim().trim_end_matches('/'))
        .filter(|p| !p.is_empty())
        .any(|pattern| {
            let n = pattern.split('/').count();
            let prefix: Vec<&str> = module.split('/').take(n).collect();
            prefix.len() == n
                && pattern
                    .split('/')
                    .zip(&prefix)
                    .all(|(p, m)| glob(p.as_bytes(), m.as_bytes()))
        })
}

/// path.Match for one element: `*`, `?`, and `[…]` classes.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|i| glob(&p[1..], &s[i..])),
        Some(b'?') => !s.is_empty() && glob(&p[1..], &s[1..]),
        Some(b'[') => {
            let Some(end) = p.iter().position(|&c| c == b']') else {
                return false;
            };
            let Some(&c) = s.first() else { return false };
            let (negate, class) = match p.get(1) {
                Some(b'^') => (true, &p[2..end]),
                _ => (false, &p[1..end]),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != negate && glob(&p[end + 1..], &s[1..])
        }
        Some(&c) => s.first() == Some(&c) && glob(&p[1..], &s[1..]),
    }
}

/// Login and password for a host, from `$NETRC` or `~/.netrc` (`~/_netrc` on Windows),
/// as the go command reads it for GOPROXY and GOSUMDB requests.
pub fn netrc_credentials(host: &str) -> Option<(String, String)> {
    let path = match std::env::var_os("NETRC") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => {
            let name = if cfg!(windows) { "_netrc" } else { ".netrc" };
            dirs::home_dir()?.join(name)
        }
    };
    netrc_lookup(&path, host)
}

fn netrc_lookup(path: &Path, host: &str) -> Option<(String, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    parse_netrc(&text, host)
}

/// The go command's netrc reading: tokens in `key value` pairs, line by line; an entry
/// is complete once it has `machine`, `login` and `password`; a `macdef` body runs to
/// the next empty line; a lone `default` ends the file. The first entry for `host` wins.
pub fn parse_netrc(text: &str, host: &str) -> Option<(String, String)> {
    let (mut machine, mut login, mut password) = ("", "", "");
    let mut in_macro = false;
    for line in text.split('\n') {
        if in_macro {
            in_macro = !line.is_empty();
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let mut i = 0;
        while i + 1 < f.len() {
            match f[i] {
                "machine" => (machine, login, password) = (f[i + 1], "", ""),
                "login" => login = f[i + 1],
                "password" => password = f[i + 1],
                "macdef" => in_macro = true,
                _ => {}
            }
            if !machine.is_empty() && !login.is_empty() && !password.is_empty() {
                if machine == host {
                    return Some((login.to_string(), password.to_string()));
                }
                (machine, login, password) = ("", "", "");
            }
            i += 2;
        }
        if f.get(i) == Some(&"default") {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str, fall_back_on_error: bool) -> Proxy {
        Proxy::Url {
            url: u.into(),
            fall_back_on_error,
        }
    }

    #[test]
    fn proxy_lists_parse_as_go_does() {
        assert_eq!(
            parse_proxy_list(DEFAULT_GOPROXY).unwrap(),
            [url("https://proxy.golang.org", false), Proxy::Direct]
        );
        assert_eq!(
            parse_proxy_list(
                "goproxy.cn|http://127.0.0.1:3000/p/ , file:///srv/p,off,https://never"
            )
            .unwrap(),
            [
                url("https://goproxy.cn", true),
                url("http://127.0.0.1:3000/p", false),
                url("file:///srv/p", false),
                Proxy::Off
            ]
        );
        assert_eq!(
            parse_proxy_list("direct,https://x").unwrap(),
            [Proxy::Direct]
        );
        assert!(matches!(
            parse_proxy_list(" , "),
            Err(ProxyListError::Empty(_))
        ));
        assert!(parse_proxy_list("ftp://x").is_err());
    }

    #[test]
    fn prefix_patterns() {
        assert!(matches_prefix_patterns(
            "golang.org",
            "golang.org/toolchain"
        ));
        assert!(matches_prefix_patterns("*.org", "golang.org/toolchain"));
        assert!(matches_prefix_patterns(
            "example.com,golang.org/tool*",
            "golang.org/toolchain"
        ));
        assert!(!matches_prefix_patterns(
            "golang.org/x",
            "golang.org/toolchain"
        ));
        assert!(!matches_prefix_patterns(
            "golang.org/toolchain/more",
            "golang.org/toolchain"
        ));
        assert!(!matches_prefix_patterns("", "golang.org/toolchain"));
        assert!(matches_prefix_patterns(
            "golang.[a-o]rg",
            "golang.org/toolchain"
        ));
    }

    #[test]
    fn netrc() {
        let text = "machine a.example login u1 password p1\nmachine proxy.corp\n  login bob\n  password s3cret\n";
        assert_eq!(
            parse_netrc(text, "a.example"),
            Some(("u1".into(), "p1".into()))
        );
        // An entry may span lines.
        assert_eq!(
            parse_netrc(text, "proxy.corp"),
            Some(("bob".into(), "s3cret".into()))
        );
        let text = "machine m1 login a password b\nmacdef init\nmachine m2 login c password d\n\nmachine m3 login e password f\ndefault\nmachine late login l password p\n";
        assert_eq!(parse_netrc(text, "m2"), None, "inside a macro");
        assert_eq!(parse_netrc(text, "m3"), Some(("e".into(), "f".into())));
        assert_eq!(parse_netrc(text, "late"), None, "after default");
        assert_eq!(parse_netrc(text, "other"), None);
    }
}
