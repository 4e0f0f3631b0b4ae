//! The hashes a kit is checked with: sha256 of files, and Go's `h1:` of a module zip,
//! of a go.mod, and of a go.dev archive's module-covered files (read in one streaming
//! pass, without unpacking it).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::dist::dirhash::Hash1;
use crate::dist::distpack::{self, TOOLCHAIN_MODULE};

fn invalid(why: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_string())
}

fn digest_reader(r: &mut dyn Read, mut on_chunk: impl FnMut(usize)) -> io::Result<([u8; 32], u64)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    loop {
        let got = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..got]);
        n += got as u64;
        on_chunk(got);
    }
    Ok((h.finalize().into(), n))
}

/// The hex sha256 and size of a file.
pub fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut f = File::open(path)?;
    let (d, n) = digest_reader(&mut f, |_| {})?;
    Ok((hex::encode(d), n))
}

/// Go's `h1:` of a module zip: every file entry by its full name (dirhash.HashZip).
pub fn zip_h1(path: &Path) -> io::Result<String> {
    let mut z = zip::ZipArchive::new(BufReader::new(File::open(path)?)).map_err(invalid)?;
    let mut h = Hash1::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).map_err(invalid)?;
        if f.is_dir() {
            continue;
        }
        let name = f.name().to_string();
        let (d, _) = digest_reader(&mut f, |_| {})?;
        h.add(name, d);
    }
    h.finish().map_err(invalid)
}

/// Go's `h1:` of a go.mod file (dirhash over the one file `go.mod`).
pub fn mod_h1(content: &[u8]) -> String {
    let mut h = Hash1::new();
    h.add_bytes("go.mod".to_string(), content);
    h.finish().expect("one file, no newline in its name")
}

/// The `h1:` of the toolchain module `module_version` computed from a go.dev archive
/// (`.tar.gz` or `.zip`, files under `go/`), mapped as Go's release tool maps them.
pub fn archive_h1(path: &Path, module_version: &str) -> io::Result<String> {
    let prefix = format!("{TOOLCHAIN_MODULE}@{module_version}/");
    let mut h = Hash1::new();
    let mut add = |name: &str, r: &mut dyn Read| -> io::Result<()> {
        let Some(rel) = name.strip_prefix("go/") else {
            return Err(invalid(format!("entry `{name}` is not under go/")));
        };
        if let Some(m) = distpack::module_name(rel) {
            let (d, _) = digest_reader(r, |_| {})?;
            h.add(format!("{prefix}{m}"), d);
        }
        Ok(())
    };
    let name = path.to_string_lossy();
    if name.ends_with(".zip") {
        let mut z = zip::ZipArchive::new(BufReader::new(File::open(path)?)).map_err(invalid)?;
        for i in 0..z.len() {
            let mut f = z.by_index(i).map_err(invalid)?;
            if f.is_file() {
                let n = f.name().to_string();
                add(&n, &mut f)?;
            }
        }
    } else {
        let gz = flate2::read::GzDecoder::new(BufReader::new(File::open(path)?));
        let mut t = tar::Archive::new(gz);
        for entry in t.entries()? {
            let mut e = entry?;
            if e.header().entry_type().is_file() {
                let n = String::from_utf8_lossy(&e.path_bytes()).into_owned();
                let n = n.trim_start_matches("./").to_string();
                add(&n, &mut e)?;
            }
        }
    }
    h.finish().map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn archive_and_module_hash_alike() {
        let d = tempfile::tempdir().unwrap();
        let mv = "v0.0.1-go1.22.6.linux-amd64";
        // The archive …
        let tgz = d.path().join("go1.22.6.linux-amd64.tar.gz");
        {
            let gz = flate2::write::GzEncoder::new(File::create(&tgz).unwrap(), Default::default());
            let mut b = tar::Builder::new(gz);
            for (name, data) in [
                ("go/VERSION", &b"go1.22.6\n"[..]),
                ("go/src/go.mod", b"module std\n"),
                ("go/doc/x.html", b"doc"),
            ] {
                let mut hd = tar::Header::new_gnu();
                hd.set_size(data.len() as u64);
                hd.set_mode(0o644);
                hd.set_cksum();
                b.append_data(&mut hd, name, data).unwrap();
            }
            b.into_inner().unwrap().finish().unwrap();
        }
        // … and the module Go's release tool makes of it.
        let zp = d.path().join("m.zip");
        {
            let mut z = zip::ZipWriter::new(File::create(&zp).unwrap());
            for (name, data) in [
                ("VERSION", &b"go1.22.6\n"[..]),
                ("src/_go.mod", b"module std\n"),
            ] {
                z.start_file(
                    format!("golang.org/toolchain@{mv}/{name}"),
                    zip::write::SimpleFileOptions::default(),
                )
                .unwrap();
                z.write_all(data).unwrap();
            }
            z.finish().unwrap();
        }
        assert_eq!(archive_h1(&tgz, mv).unwrap(), zip_h1(&zp).unwrap());
        // Go's go.mod hash of `module golang.org/toolchain\n`, as its database records it.
        assert!(mod_h1(b"module golang.org/toolchain\n").starts_with("h1:"));
    }
}
