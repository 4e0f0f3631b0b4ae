//! A made-up machine for the checks' unit tests: a temp dir holding HOME, GVR_HOME with
//! shims and fake SDKs, and a workspace, seen through a [`Probe`] with exactly the
//! variables a test sets.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::context::VarsProcess;
use super::Probe;
use crate::home::GvrHome;
use crate::toolchain::SHIMMED_TOOLS;

pub struct World {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub home: GvrHome,
    pub cwd: PathBuf,
    process: VarsProcess,
}

fn exe(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

impl World {
    /// Shims in place and first on PATH; nothing installed or pinned.
    pub fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let home = GvrHome::at(root.join("gvr"), root.join("cache"));
        for tool in SHIMMED_TOOLS {
            exe(&home.shims_dir().join(tool), "#!/bin/sh\n");
        }
        let cwd = root.join("work");
        std::fs::create_dir_all(&cwd).unwrap();
        std::fs::create_dir_all(root.join("home")).unwrap();
        let mut w = World {
            _tmp: tmp,
            root,
            home,
            cwd,
            process: VarsProcess::default(),
        };
        let home_dir = w.root.join("home").into_os_string();
        w.process.vars.insert("HOME".into(), home_dir);
        let path =
            std::env::join_paths([w.home.shims_dir(), "/usr/bin".into(), "/bin".into()]).unwrap();
        w.process.vars.insert("PATH".into(), path);
        w
    }

    /// A fake SDK in `versions/<v>` with a receipt, as `gvr install` leaves it.
    pub fn installed(self, v: &str) -> World {
        let dir = self.home.versions_dir().join(v);
        exe(&dir.join("bin/go"), "#!/bin/sh\n");
        exe(&dir.join("bin/gofmt"), "#!/bin/sh\n");
        std::fs::write(dir.join("VERSION"), format!("go{v}\n")).unwrap();
        std::fs::write(
            dir.join("go.env"),
            "GOPROXY=https://proxy.golang.org,direct\nGOSUMDB=sum.golang.org\nGOTOOLCHAIN=auto\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.join(".gvr")).unwrap();
        std::fs::write(dir.join(".gvr/receipt.json"), "{}\n").unwrap();
        self
    }

    /// `.go-version` in the workspace.
    pub fn pinned(self, v: &str) -> World {
        self.write(".go-version", &format!("{v}\n"));
        self
    }

    /// Writes `work/<rel>`; returns its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.cwd.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Writes go's env file (`$HOME/.config/go/env`).
    pub fn go_env_file(&self, text: &str) -> PathBuf {
        let p = self.root.join("home/.config/go/env");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// An executable `<root>/<rel>/<name>`.
    pub fn fake_tool(&self, rel: &str, name: &str) -> PathBuf {
        let p = self.root.join(rel).join(name);
        exe(&p, "#!/bin/sh\n");
        p
    }

    pub fn env(mut self, k: &str, v: impl Into<OsString>) -> World {
        self.process.vars.insert(k.into(), v.into());
        self
    }

    /// PATH exactly `dirs`.
    pub fn path(self, dirs: &[&str]) -> World {
        let p = std::env::join_paths(dirs).unwrap();
        self.env("PATH", p)
    }

    /// PATH: `dirs`, then the shims, then /usr/bin:/bin.
    pub fn path_before_shims(self, dirs: &[&Path]) -> World {
        let mut all: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
        all.extend([self.home.shims_dir(), "/usr/bin".into(), "/bin".into()]);
        let p = std::env::join_paths(all).unwrap();
        self.env("PATH", p)
    }

    /// Runs in `work/<rel>`.
    pub fn in_dir(mut self, rel: &str) -> World {
        self.cwd = self.cwd.join(rel);
        self.process.cwd = self.cwd.clone();
        std::fs::create_dir_all(&self.cwd).unwrap();
        self
    }

    pub fn probe(&self) -> Probe<'_> {
        Probe::new(&self.process, self.home.clone(), self.cwd.clone())
    }
}
