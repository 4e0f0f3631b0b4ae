//! Synthetic Go SDKs for tests: a GOROOT-shaped tree whose `bin/go` is a shell script
//! that prints `go version go<v> <os>/<arch>` for `go version` and, for anything else,
//! its arguments and the environment it received, so tests can see what a shim set.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The script behind a fake tool. `FAKE_EXIT` makes it exit with that code;
/// `FAKE_SLEEP` makes it sleep first (for signal tests).
fn tool_script(tool: &str, version: &str, os: &str, arch: &str) -> String {
    format!(
        r#"#!/bin/sh
if [ -n "$FAKE_SLEEP" ]; then sleep "$FAKE_SLEEP"; fi
if [ "$1" = "version" ] && [ "{tool}" = "go" ]; then
  echo "go version go{version} {os}/{arch}"
  exit "${{FAKE_EXIT:-0}}"
fi
echo "tool={tool} version={version} args=$*"
echo "cwd=$(pwd)"
for v in GOROOT GOWORK GOCACHE GOTOOLCHAIN GOPATH GOBIN GVR_GO_VERSION GVR_GO_ORIGIN GVR_SHIM_DEPTH GVR_SET PATH; do
  eval "val=\${{$v-<unset>}}"
  echo "env $v=$val"
done
exit "${{FAKE_EXIT:-0}}"
"#
    )
}

/// Writes a synthetic SDK for `version` as `<parent>/go/…` (the archive layout) and
/// returns the `go` directory.
pub fn write_sdk_tree(parent: &Path, version: &str, os: &str, arch: &str) -> PathBuf {
    let root = parent.join("go");
    fs::create_dir_all(root.join("bin")).unwrap();
    fs::create_dir_all(root.join(format!("pkg/tool/{os}_{arch}"))).unwrap();
    fs::create_dir_all(root.join("src/fmt")).unwrap();
    fs::write(
        root.join("VERSION"),
        format!("go{version}\ntime 2024-08-06T00:00:00Z\n"),
    )
    .unwrap();
    fs::write(
        root.join("go.env"),
        "GOPROXY=https://proxy.golang.org,direct\nGOSUMDB=sum.golang.org\nGOTOOLCHAIN=auto\n",
    )
    .unwrap();
    fs::write(root.join("src/fmt/print.go"), "package fmt\n").unwrap();
    let exe = if os == "windows" { ".exe" } else { "" };
    for tool in ["go", "gofmt"] {
        let p = root.join("bin").join(format!("{tool}{exe}"));
        fs::write(&p, tool_script(tool, version, os, arch)).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let compile = root.join(format!("pkg/tool/{os}_{arch}/compile{exe}"));
    fs::write(&compile, "#!/bin/sh\nexit 0\n").unwrap();
    fs::set_permissions(&compile, fs::Permissions::from_mode(0o755)).unwrap();
    root
}

/// Puts a synthetic SDK straight into `$GVR_HOME/versions/<version>`, as if installed.
pub fn install_fake(gvr_home: &Path, version: &str) -> PathBuf {
    let staging = tempfile::tempdir().unwrap();
    let tree = write_sdk_tree(staging.path(), version, "linux", "amd64");
    let dest = gvr_home.join("versions").join(version);
    fs::create_dir_all(dest.parent().unwrap()).unwrap();
    fs::rename(&tree, &dest).unwrap();
    dest
}
