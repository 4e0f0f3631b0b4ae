//! The checks: every entry is validated here, against what the archive created so far
//! and the archive's limits, before any [`Op`] for it reaches the writer. Paths are
//! relative to the stripped `go/`.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::SyncSender;

use super::limits::{self, Limits};
use super::writer::Op;
use super::{refused, UnpackError, INFLATE_BUF};

/// Where gvr keeps an install's receipt: no archive entry may be there.
const RECEIPT_DIR: &str = ".gvr";

pub(super) struct Tree {
    out: SyncSender<Op>,
    limits: Limits,
    /// The stage's filesystem ignores case: names are compared case-folded.
    fold: bool,
    /// Symlinks created so far (folded keys): nothing may be written through them.
    links: HashSet<String>,
    /// Directories known to exist (folded keys), to skip redundant walks.
    dirs: HashSet<String>,
    /// On a case-folding filesystem: each folded name and its first spelling.
    spellings: HashMap<String, String>,
    entries: u64,
    bytes: u64,
    /// A symlink was created (even if a later entry replaced it).
    made_links: bool,
}

impl Tree {
    pub fn new(out: SyncSender<Op>, limits: Limits, fold: bool) -> Tree {
        let mut dirs = HashSet::new();
        dirs.insert(String::new());
        Tree {
            out,
            limits,
            fold,
            links: HashSet::new(),
            dirs,
            spellings: HashMap::new(),
            entries: 0,
            bytes: 0,
            made_links: false,
        }
    }

    /// The archive made at least one symlink (the finished tree then gets checked).
    pub fn made_links(&self) -> bool {
        self.made_links
    }

    fn send(&self, op: Op) -> Result<(), UnpackError> {
        self.out.send(op).map_err(|_| UnpackError::WriterStopped)
    }

    /// `rel` as a lookup key: `/`-joined, case-folded where the filesystem folds.
    /// (Lowercasing approximates the filesystem's own folding; the writer, which never
    /// follows a link, is what makes a mismatch harmless.)
    fn key(&self, rel: &Path) -> String {
        let s: Vec<&str> = rel.iter().filter_map(|c| c.to_str()).collect();
        let s = s.join("/");
        if self.fold {
            s.to_lowercase()
        } else {
            s
        }
    }

    /// Counts one archive entry (tar metadata entries included) against the limit.
    pub fn count_entry(&mut self) -> Result<(), UnpackError> {
        self.entries += 1;
        if self.entries > limits::MAX_ENTRIES {
            return Err(too_many_entries());
        }
        Ok(())
    }

    /// `go/bin/go` → `bin/go`; `None` for `go/` itself.
    pub fn rel_path(&self, name: &str) -> Result<Option<PathBuf>, UnpackError> {
        if name.len() > limits::MAX_NAME {
            return Err(refused(
                &shorten(name),
                format!(
                    "its name is {} bytes long, over the name-length limit of {} bytes (names in Go SDKs are under 200 bytes)",
                    name.len(),
                    limits::MAX_NAME
                ),
            ));
        }
        if name.starts_with('/') || name.starts_with('\\') || name.as_bytes().get(1) == Some(&b':')
        {
            return Err(refused(name, "absolute paths are not allowed"));
        }
        let parts: Vec<&str> = name
            .split(['/', '\\'])
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        if parts.contains(&"..") {
            return Err(refused(name, "paths containing `..` are not allowed"));
        }
        if parts.first() != Some(&"go") {
            return Err(refused(name, "it lies outside the archive's go/ directory"));
        }
        if parts.len() == 1 {
            return Ok(None);
        }
        let first = if self.fold {
            parts[1].to_lowercase()
        } else {
            parts[1].to_string()
        };
        if first == RECEIPT_DIR {
            return Err(refused(
                name,
                "`go/.gvr` is where gvr keeps its install receipt; a Go SDK has no such entry",
            ));
        }
        Ok(Some(parts[1..].iter().collect()))
    }

    /// Refuses `rel` when one of its parents is a symlink from this archive (writing
    /// through it could land anywhere the link points).
    fn check_parents(&self, name: &str, rel: &Path) -> Result<(), UnpackError> {
        if self.links.is_empty() {
            return Ok(());
        }
        let mut p = rel.parent();
        while let Some(parent) = p {
            if self.links.contains(&self.key(parent)) {
                return Err(refused(
                    name,
                    format!("it would be written through the link {}", parent.display()),
                ));
            }
            p = parent.parent();
        }
        Ok(())
    }

    /// On a case-folding filesystem, refuses a second spelling of a name: `go/A.go`
    /// after `go/a.go` would silently overwrite it.
    fn claim(&mut self, name: &str, rel: &Path) -> Result<(), UnpackError> {
        if !self.fold {
            return Ok(());
        }
        let exact: Vec<&str> = rel.iter().filter_map(|c| c.to_str()).collect();
        let exact = exact.join("/");
        match self.spellings.get(&self.key(rel)) {
            Some(first) if *first != exact => Err(refused(
                name,
                format!(
                    "it differs only in case from `go/{first}`, and this filesystem ignores case"
                ),
            )),
            Some(_) => Ok(()),
            None => {
                self.spellings.insert(self.key(rel), exact);
                Ok(())
            }
        }
    }

    fn ensure_parent(&mut self, name: &str, rel: &Path) -> Result<(), UnpackError> {
        self.check_parents(name, rel)?;
        let parent = rel.parent().unwrap_or(Path::new(""));
        let mut p = Some(parent);
        while let Some(d) = p.filter(|d| !d.as_os_str().is_empty()) {
            self.claim(name, d)?;
            if !self.dirs.insert(self.key(d)) {
                break;
            }
            p = d.parent();
        }
        Ok(())
    }

    /// An entry replacing a link of the same name (the writer unlinks it first).
    fn replace(&mut self, rel: &Path) {
        let k = self.key(rel);
        self.links.remove(&k);
    }

    pub fn dir(&mut self, name: &str, rel: PathBuf) -> Result<(), UnpackError> {
        if self.links.contains(&self.key(&rel)) {
            return Err(refused(
                name,
                "a directory where the archive already put a link",
            ));
        }
        self.ensure_parent(name, &rel)?;
        self.claim(name, &rel)?;
        if self.dirs.insert(self.key(&rel)) {
            self.send(Op::Dir(rel))?;
        }
        Ok(())
    }

    fn take_bytes(&mut self, name: &str, n: u64) -> Result<(), UnpackError> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > self.limits.bytes {
            return Err(bytes_exceeded(Some(name), &self.limits));
        }
        Ok(())
    }

    pub fn file(
        &mut self,
        name: &str,
        rel: PathBuf,
        mode: u32,
        size: u64,
        data: &mut dyn Read,
    ) -> Result<(), UnpackError> {
        // The declared size alone can give a bomb away, before anything is inflated.
        if self.bytes.saturating_add(size) > self.limits.bytes {
            return Err(bytes_exceeded(Some(name), &self.limits));
        }
        self.ensure_parent(name, &rel)?;
        self.claim(name, &rel)?;
        self.replace(&rel);
        self.send(Op::Open { rel, mode })?;
        let mut left = size;
        loop {
            // Sized to the file: most are small, and a 256 KiB buffer each would cost an
            // mmap and munmap per file.
            let mut block = Vec::with_capacity(left.clamp(1, INFLATE_BUF as u64) as usize);
            let n = data
                .take(INFLATE_BUF as u64)
                .read_to_end(&mut block)
                .map_err(|e| UnpackError::Corrupt(format!("reading `{name}`: {e}")))?;
            if n == 0 {
                break;
            }
            // Counted as read: a zip entry may inflate past the size it declares.
            self.take_bytes(name, n as u64)?;
            left = left.saturating_sub(n as u64);
            self.send(Op::Write(block))?;
        }
        Ok(())
    }

    pub fn symlink(&mut self, name: &str, rel: PathBuf, target: String) -> Result<(), UnpackError> {
        check_link_target(name, &target)?;
        if !cfg!(unix) {
            return Err(refused(name, "symlinks are not supported on this platform"));
        }
        self.ensure_parent(name, &rel)?;
        self.claim(name, &rel)?;
        if self.dirs.contains(&self.key(&rel)) {
            return Err(refused(
                name,
                "a link where the archive already put a directory",
            ));
        }
        self.links.insert(self.key(&rel));
        self.made_links = true;
        self.send(Op::Symlink { rel, target })
    }

    pub fn hardlink(&mut self, name: &str, rel: PathBuf, target: &str) -> Result<(), UnpackError> {
        let target_rel = match self.rel_path(target) {
            Ok(Some(t)) => t,
            Ok(None) | Err(_) => {
                return Err(refused(
                    name,
                    format!("its hard link target `{target}` is outside the SDK"),
                ))
            }
        };
        if self.links.contains(&self.key(&target_rel)) {
            return Err(refused(
                name,
                format!("its hard link target `{target}` is a symlink"),
            ));
        }
        self.check_parents(name, &target_rel)?;
        self.ensure_parent(name, &rel)?;
        self.claim(name, &rel)?;
        self.replace(&rel);
        self.send(Op::Hardlink {
            name: name.to_string(),
            shown: target.to_string(),
            rel,
            target: target_rel,
        })
    }
}

/// A link may only point down from where it sits: relative, without `..`. Go SDKs have
/// no links at all; with this rule a link resolves inside the tree whatever other links
/// exist, so the order of entries cannot matter.
fn check_link_target(name: &str, target: &str) -> Result<(), UnpackError> {
    if target.is_empty() {
        return Err(refused(name, "a link with an empty target"));
    }
    if target.starts_with('/')
        || target.starts_with('\\')
        || target.as_bytes().get(1) == Some(&b':')
    {
        return Err(refused(
            name,
            format!("its link target `{target}` is absolute"),
        ));
    }
    if target.split(['/', '\\']).any(|c| c == "..") {
        return Err(refused(
            name,
            format!(
                "its link target `{target}` climbs with `..`, which could lead outside the SDK; links may only point down"
            ),
        ));
    }
    if target.contains('\0') {
        return Err(refused(name, "its link target contains a NUL byte"));
    }
    Ok(())
}

/// The first 80 characters of a long name, for messages.
fn shorten(name: &str) -> String {
    match name.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &name[..i]),
        None => name.to_string(),
    }
}

pub(super) fn too_many_entries() -> UnpackError {
    UnpackError::Limit(format!(
        "the archive has more than {} entries, the entry-count limit (Go SDKs have about 12000)",
        limits::MAX_ENTRIES
    ))
}

pub(super) fn bytes_exceeded(entry: Option<&str>, limits: &Limits) -> UnpackError {
    let why = format!(
        "the archive would unpack to more than {}, the unpacked-size limit; Go SDKs unpack to about 3× their archive size, so this looks like a decompression bomb",
        limits.describe_bytes()
    );
    match entry {
        Some(e) => refused(e, why),
        None => UnpackError::Limit(why),
    }
}

/// Whether names in `dir` are compared ignoring case (macOS and Windows by default,
/// ext4 and tmpfs directories with casefolding): creates a probe name and looks it up
/// in another case. When it cannot tell, it assumes folding (the stricter checks).
pub(super) fn folds_case(dir: &Path) -> bool {
    let probe = dir.join(".gvr-case-probe");
    if std::fs::File::create(&probe).is_err() {
        return true;
    }
    let folds = std::fs::symlink_metadata(dir.join(".GVR-CASE-PROBE")).is_ok();
    let _ = std::fs::remove_file(&probe);
    folds
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;

    fn tree(fold: bool) -> (Tree, std::sync::mpsc::Receiver<Op>) {
        let (tx, rx) = sync_channel(1024);
        (Tree::new(tx, Limits::for_archive(Some(1000)), fold), rx)
    }

    fn rel(t: &Tree, name: &str) -> PathBuf {
        t.rel_path(name).unwrap().unwrap()
    }

    /// `go/a -> bin`, then `go/A/evil`: on a case-folding filesystem `A` is the link.
    #[test]
    fn folding_sees_a_differently_cased_link_in_the_path() {
        for fold in [false, true] {
            let (mut t, _rx) = tree(fold);
            let r = rel(&t, "go/a");
            t.symlink("go/a", r, "bin".into()).unwrap();
            let r = rel(&t, "go/A/evil");
            let res = t.file("go/A/evil", r, 0o644, 1, &mut &b"x"[..]);
            if fold {
                let e = res.unwrap_err().to_string();
                assert!(e.contains("through the link"), "{e}");
            } else {
                res.unwrap();
            }
        }
    }

    #[test]
    fn folding_refuses_a_second_spelling_and_the_receipt_dir() {
        let (mut t, _rx) = tree(true);
        let r = rel(&t, "go/src/a.go");
        t.file("go/src/a.go", r, 0o644, 1, &mut &b"x"[..]).unwrap();
        let r = rel(&t, "go/src/A.go");
        let e = t
            .file("go/src/A.go", r, 0o644, 1, &mut &b"x"[..])
            .unwrap_err()
            .to_string();
        assert!(e.contains("differs only in case from `go/src/a.go`"), "{e}");
        let r = rel(&t, "go/SRC/b.go");
        let e = t
            .file("go/SRC/b.go", r, 0o644, 1, &mut &b"x"[..])
            .unwrap_err()
            .to_string();
        assert!(e.contains("`go/src`"), "{e}");
        // The same spelling again is a plain duplicate, as tar allows.
        let r = rel(&t, "go/src/a.go");
        t.file("go/src/a.go", r, 0o644, 1, &mut &b"y"[..]).unwrap();
        let e = t.rel_path("go/.GVR/receipt.json").unwrap_err().to_string();
        assert!(e.contains("receipt"), "{e}");
        // Case-sensitive: `.GVR` is just a name, `A.go` another file.
        let (mut t, _rx) = tree(false);
        assert!(t.rel_path("go/.GVR/x").is_ok());
        assert!(t.rel_path("go/.gvr/x").is_err());
        for n in ["go/a.go", "go/A.go"] {
            let r = rel(&t, n);
            t.file(n, r, 0o644, 1, &mut &b"x"[..]).unwrap();
        }
    }

    #[test]
    fn link_targets_only_point_down() {
        for ok in ["VERSION", "bin/go", "./x", "a/./b"] {
            check_link_target("go/l", ok).unwrap();
        }
        for bad in [
            "",
            "/etc/passwd",
            "\\x",
            "C:x",
            "..",
            "a/../b",
            "d/d/../..",
            "a\\..\\b",
        ] {
            assert!(check_link_target("go/l", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn detects_case_folding_of_a_directory() {
        let d = tempfile::tempdir().unwrap();
        // This machine's temp dir: on Linux ext4/tmpfs without casefold, no folding.
        let folds = folds_case(d.path());
        assert_eq!(folds, cfg!(any(target_os = "macos", windows)));
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            0,
            "probe removed"
        );
        assert!(
            folds_case(&d.path().join("missing")),
            "unknown means folding"
        );
    }

    #[test]
    fn limits_entries_names_and_bytes() {
        let (mut t, _rx) = tree(false);
        for _ in 0..limits::MAX_ENTRIES {
            t.count_entry().unwrap();
        }
        assert!(t
            .count_entry()
            .unwrap_err()
            .to_string()
            .contains("entry-count limit"));
        let long = format!("go/{}", "a/".repeat(600));
        let e = t.rel_path(&long).unwrap_err().to_string();
        assert!(e.contains("name-length limit") && e.contains('…'), "{e}");
        let (mut t, _rx) = tree(false);
        let r = rel(&t, "go/big");
        let e = t
            .file(
                "go/big",
                r,
                0o644,
                limits::FLOOR_BYTES + 1,
                &mut std::io::empty(),
            )
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("go/big") && e.contains("unpacked-size limit"),
            "{e}"
        );
    }
}
