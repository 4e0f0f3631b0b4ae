//! `file://` URLs for local mirrors, archives and indexes, both ways, with
//! percent-encoding done by the `percent-encoding` crate on bytes (never by slicing
//! text), so spaces, `%`, `#` and any UTF-8 in a path survive the round trip.

use std::path::{Path, PathBuf};

use percent_encoding::{percent_decode_str, percent_encode, AsciiSet, CONTROLS};

/// What must be escaped in a URL path (RFC 3986 plus `%` itself); non-ASCII bytes
/// always are.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `file:///abs/path` for a local archive or index, so receipts always hold a URL.
pub fn file_url(path: &Path) -> String {
    let encoded = percent_encode(&path_bytes(path), PATH).to_string();
    if encoded.starts_with('/') {
        format!("file://{encoded}")
    } else {
        // A Windows path: `C:\x` is `file:///C:/x`.
        format!("file:///{}", encoded.replace('\\', "/"))
    }
}

/// The path a `file://` URL names (host empty or `localhost`); `None` when it names no
/// absolute local path.
pub fn file_url_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let bytes: Vec<u8> = percent_decode_str(rest).collect();
    Some(path_from_bytes(bytes))
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    let s = String::from_utf8_lossy(&bytes).into_owned();
    // `/C:/x` → `C:/x`.
    let s = match s.as_bytes() {
        [b'/', d, b':', ..] if d.is_ascii_alphabetic() => s[1..].to_string(),
        _ => s,
    };
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_awkward_paths() {
        for p in [
            "/srv/go dl",
            "/srv/café €/100%",
            "/srv/a#b?c",
            "/srv/%41",
            "/plain/path",
        ] {
            let url = file_url(Path::new(p));
            assert!(!url[7..].contains([' ', '#', '?', 'é']), "{url}");
            assert_eq!(file_url_path(&url), Some(PathBuf::from(p)), "{url}");
        }
        assert_eq!(file_url(Path::new("/srv/go dl")), "file:///srv/go%20dl");
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_bytes_survive() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"/srv/\xff\xfe"));
        let url = file_url(p);
        assert_eq!(url, "file:///srv/%FF%FE");
        assert_eq!(file_url_path(&url).as_deref(), Some(p));
    }

    #[test]
    fn only_local_absolute_urls() {
        assert_eq!(
            file_url_path("file://localhost/srv"),
            Some(PathBuf::from("/srv"))
        );
        assert_eq!(file_url_path("file://relative"), None);
        assert_eq!(file_url_path("http://x/y"), None);
    }
}
