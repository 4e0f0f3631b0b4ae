//! `gvr install`, `uninstall`, `list` and `list-remote` against fixture distributions
//! served over loopback HTTP (with injected faults), `file://` and plain directories.
//! Each guarantee of issue 2 is shown by a test that fails without it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::cli::{finish, tree, Gvr, Run};
use crate::support::fixtures::{
    host_arch, host_os, sha256_hex, Checksums, Dist, Format, Mirror, MirrorBuilder, RawEntry,
    SdkOptions,
};
use crate::support::sdk;
use crate::support::server::{Fault, Server};

mod bounds;
mod cache;
mod casefold;
mod concurrency;
mod crash;
mod goproxy;
mod https;
mod index_names;
mod list;
mod network;
mod output;
mod sources;
mod specs;
mod unpack;
mod verification;

/// A world whose `GVR_MIRROR` is this server.
fn world(server: &Server) -> Gvr {
    let mut g = Gvr::new();
    g.mirror(server.url());
    g
}

fn serve(m: &Mirror) -> Server {
    Server::start(m.path())
}

/// Runs the installed `bin/go version` with a clean env and returns its stdout.
fn installed_go_version(g: &Gvr, v: &str) -> String {
    let go = g.version_dir(v).join("bin/go");
    g.run_program(&go, ["version"])
        .ok()
        .stdout
        .trim()
        .to_string()
}

/// `versions/<v>` is a complete, runnable SDK with a receipt.
#[track_caller]
fn assert_installed(g: &Gvr, v: &str) {
    assert!(
        g.receipt_path(v).is_file(),
        "no receipt for {v}; versions/: {:?}",
        tree(&g.versions_dir())
    );
    let first = std::fs::read_to_string(g.version_dir(v).join("VERSION")).unwrap();
    assert_eq!(first.lines().next(), Some(format!("go{v}").as_str()));
    assert_eq!(
        installed_go_version(g, v),
        format!("go version go{v} {}/{}", host_os(), host_arch())
    );
}

/// Nothing of a failed install is left: no version, no staging, no cached download.
#[track_caller]
fn assert_nothing_left(g: &Gvr) {
    assert_eq!(
        Gvr::ls(&g.versions_dir()),
        Vec::<String>::new(),
        "versions/ not empty"
    );
    assert_eq!(
        Gvr::ls(&g.tmp_dir()),
        Vec::<String>::new(),
        "tmp/ not empty: {:?}",
        tree(&g.tmp_dir())
    );
    assert_eq!(
        Gvr::ls(&g.downloads_dir()),
        Vec::<String>::new(),
        "downloads/ not empty"
    );
}

#[track_caller]
fn assert_tmp_clean(g: &Gvr) {
    assert_eq!(
        Gvr::ls(&g.tmp_dir()),
        Vec::<String>::new(),
        "tmp/ not empty: {:?}",
        tree(&g.tmp_dir())
    );
}

/// `"go1.22.6"` or `"1.22.6"` → `"1.22.6"`.
fn bare(v: &str) -> &str {
    v.strip_prefix("go").unwrap_or(v)
}

/// The versions a listing names, in order: the first token of each line that looks
/// like a Go version (with or without `go`).
fn listed_versions(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| {
            l.split(|c: char| c.is_whitespace() || c == '*' || c == '(' || c == ')' || c == ',')
                .map(bare)
                .find(|t| t.starts_with(|c: char| c.is_ascii_digit()) && t.contains('.'))
                .map(String::from)
        })
        .collect()
}

fn std_mirror() -> Mirror {
    // Newest first, as go.dev lists them; an rc of the next minor on top.
    MirrorBuilder::new()
        .sdks(&["1.23rc1", "1.22.10", "1.22.6", "1.22.5", "1.21.13"])
        .build()
}

/// A mirror whose 1.22.6 archive is big enough to cut in the middle.
fn padded_mirror(padding: usize, checksums: Checksums) -> Mirror {
    let d = Dist::sdk_with(
        "1.22.6",
        Format::TarGz,
        &SdkOptions {
            padding,
            ..Default::default()
        },
    )
    .checksums(checksums);
    MirrorBuilder::new().dist(d).sdk("1.21.13").build()
}
