use std::collections::HashMap;
use std::sync::Mutex;

use super::*;
use crate::report::Silent;

/// Answers from a map; anything else is 404, hosts in `down` fail.
#[derive(Default)]
struct Fake {
    pages: HashMap<String, Vec<u8>>,
    down: Vec<&'static str>,
    asked: Mutex<Vec<String>>,
}

impl Http for Fake {
    fn get(&self, url: &str, _: &dyn Reporter) -> Result<Vec<u8>, HttpError> {
        self.asked.lock().unwrap().push(url.to_string());
        if self.down.iter().any(|d| url.contains(d)) {
            return Err(HttpError::Failed(format!("cannot reach {url}")));
        }
        self.pages
            .get(url)
            .cloned()
            .ok_or_else(|| HttpError::NotFound(url.to_string()))
    }
    fn download(
        &self,
        url: &str,
        r: &dyn Reporter,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, HttpError> {
        let b = self.get(url, r)?;
        sink(&b).unwrap();
        Ok(b.len() as u64)
    }
}

fn list_url(base: &str) -> String {
    format!("{base}/golang.org/toolchain/@v/list")
}

fn with_list(base: &str) -> Fake {
    let p = Platform::current();
    let mut f = Fake::default();
    let body = ["1.21.13", "1.22.6", "1.22.10", "1.23rc1"]
        .iter()
        .map(|v| distpack::module_version(&v.parse().unwrap(), &p))
        .chain(["v0.0.1-go1.22.11.other-os".to_string()])
        .collect::<Vec<_>>()
        .join("\n");
    f.pages.insert(list_url(base), body.into_bytes());
    f
}

#[test]
fn lists_and_resolves_for_this_platform() {
    let http = with_list("https://p.example");
    let proxy = GoProxy::new("https://p.example", &http).unwrap();
    let (versions, from) = proxy.versions(&Silent).unwrap();
    assert_eq!(from, "https://p.example");
    let names: Vec<String> = versions.iter().map(|v| v.to_string()).collect();
    assert_eq!(names, ["1.21.13", "1.22.6", "1.22.10", "1.23rc1"]);
    let r = |s: &str| {
        proxy
            .resolve(&s.parse().unwrap(), &Silent)
            .unwrap()
            .to_string()
    };
    assert_eq!(r("1.22"), "1.22.10");
    assert_eq!(r("latest"), "1.22.10");
    assert_eq!(r("1.22.6"), "1.22.6");
    assert!(proxy.resolve(&"1.19".parse().unwrap(), &Silent).is_err());
}

#[test]
fn comma_falls_through_on_not_found_only_and_pipe_on_any_error() {
    let http = {
        let mut f = with_list("https://b.example");
        f.down = vec!["down.example"];
        f
    };
    // 404 on the first, then the second answers.
    let p = GoProxy::new("https://a.example,https://b.example", &http).unwrap();
    assert_eq!(p.versions(&Silent).unwrap().1, "https://b.example");
    // A failure after `,` is final.
    let p = GoProxy::new("https://down.example,https://b.example", &http).unwrap();
    assert!(matches!(
        p.versions(&Silent),
        Err(ProxyError::Failed { .. })
    ));
    // After `|`, any failure moves on.
    let p = GoProxy::new("https://down.example|https://b.example", &http).unwrap();
    assert_eq!(p.versions(&Silent).unwrap().1, "https://b.example");
    // `off` stops; `direct` is skipped with a note; nothing found names what was tried.
    assert!(matches!(
        GoProxy::new("off", &http).unwrap().versions(&Silent),
        Err(ProxyError::Off)
    ));
    let e = GoProxy::new("https://a.example,direct", &http)
        .unwrap()
        .versions(&Silent)
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("https://a.example/golang.org/toolchain/@v/list") && msg.contains("direct"),
        "{msg}"
    );
}

#[test]
fn file_proxies_are_read_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().join("golang.org/toolchain/@v");
    std::fs::create_dir_all(&at).unwrap();
    let v: GoVersion = "1.22.6".parse().unwrap();
    let mv = distpack::module_version(&v, &Platform::current());
    std::fs::write(at.join("list"), format!("{mv}\n")).unwrap();
    std::fs::write(at.join(format!("{mv}.zip")), b"PK").unwrap();
    let http = Fake::default();
    let url = format!("file://{}", dir.path().display());
    let proxy = GoProxy::new(&url, &http).unwrap();
    assert!(proxy.is_single_file_proxy());
    assert_eq!(proxy.versions(&Silent).unwrap().0, std::slice::from_ref(&v));
    assert_eq!(
        proxy.locate(&v, &Silent).unwrap(),
        ZipLocation::Path(at.join(format!("{mv}.zip")))
    );
    assert!(http.asked.lock().unwrap().is_empty());
    assert!(!GoProxy::new(&format!("{url},https://x.example"), &http)
        .unwrap()
        .is_single_file_proxy());
}

#[test]
fn sumdb_goes_through_the_first_proxy_that_supports_it() {
    let Ok(sumdb::Setting::Use(db)) = sumdb::config::parse("") else {
        panic!()
    };
    let mut http = Fake::default();
    http.pages.insert(
        "https://b.example/sumdb/sum.golang.org/supported".into(),
        Vec::new(),
    );
    let p = GoProxy::new("https://a.example,https://b.example", &http).unwrap();
    assert_eq!(
        p.sumdb_remote(&db, &Silent).base(),
        "https://b.example/sumdb/sum.golang.org"
    );
    let p = GoProxy::new("https://a.example", &http).unwrap();
    assert_eq!(
        p.sumdb_remote(&db, &Silent).base(),
        "https://sum.golang.org"
    );
}

#[test]
fn credentials_come_from_netrc_and_stay_out_of_messages() {
    // NETRC is process-wide; this is the only test in the crate that sets it.
    let dir = tempfile::tempdir().unwrap();
    let netrc = dir.path().join("netrc");
    std::fs::write(
        &netrc,
        "machine private.example login bob password s3cr/t\n",
    )
    .unwrap();
    std::env::set_var("NETRC", &netrc);
    assert_eq!(
        with_credentials("https://private.example:8443/p"),
        "https://bob:s3cr%2Ft@private.example:8443/p"
    );
    assert_eq!(
        with_credentials("https://other.example/p"),
        "https://other.example/p"
    );
    let http = Fake {
        down: vec!["private.example"],
        ..Default::default()
    };
    let e = GoProxy::new("https://private.example", &http)
        .unwrap()
        .versions(&Silent)
        .unwrap_err()
        .to_string();
    std::env::remove_var("NETRC");
    assert!(http.asked.lock().unwrap()[0].contains("bob:s3cr%2Ft@"));
    assert!(!e.contains("s3cr"), "{e}");
}

/// GOPROXY is read as the go command reads it: `GOENV=""` means go's default env file,
/// a relative XDG_CONFIG_HOME means no config dir, a line counts only if it starts
/// with `A`-`Z`, and nothing is trimmed.
#[test]
#[cfg(target_os = "linux")]
fn goproxy_from_go_env_file_as_go_reads_it() {
    use gvr_core::process::VarsProcess;
    let home = tempfile::tempdir().unwrap();
    let home_s = home.path().to_str().unwrap();
    let file = home.path().join(".config/go/env");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let http = Fake::default();
    let setting = |vars: &[(&str, &str)], text: &str| {
        std::fs::write(&file, text).unwrap();
        let p = VarsProcess::new(vars, home.path());
        let env = config::load_go_env(&p);
        GoProxy::from_env(&env, &p, &http)
            .map(|g| g.setting().to_string())
            .map_err(|e| e.to_string())
    };
    let proxy = "GOPROXY=file:///srv/proxy\n";
    // An empty GOENV is unset, not off.
    assert_eq!(
        setting(&[("HOME", home_s), ("GOENV", "")], proxy).unwrap(),
        "file:///srv/proxy"
    );
    // A relative XDG_CONFIG_HOME: go finds no config dir, so no env file.
    assert_eq!(
        setting(&[("HOME", home_s), ("XDG_CONFIG_HOME", "rel")], proxy).unwrap(),
        config::DEFAULT_GOPROXY
    );
    // A line with a leading space is no setting.
    assert_eq!(
        setting(&[("HOME", home_s)], " GOPROXY=file:///srv/proxy\n").unwrap(),
        config::DEFAULT_GOPROXY
    );
    // The value is not trimmed: a blank GOPROXY is a list without entries, as in go.
    assert!(setting(&[("HOME", home_s), ("GOPROXY", " ")], "")
        .unwrap_err()
        .contains("no entries"));
    // The environment wins over the file.
    assert_eq!(
        setting(&[("HOME", home_s), ("GOPROXY", "off")], proxy).unwrap(),
        "off"
    );
}
