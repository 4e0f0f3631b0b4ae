//! Reading a gzip-compressed tar. The tar crate reads GNU long names and PAX headers
//! into memory whole, whatever size they declare, so entries are read raw and those
//! metadata entries are handled here, bounded.

use std::io::{self, BufReader, Read};
use std::sync::atomic::Ordering;

use super::limits::{self, human, Capped, Limits};
use super::tree::{bytes_exceeded, Tree};
use super::{refused, UnpackError, INFLATE_BUF};

/// What metadata entries said about the next real entry.
#[derive(Default)]
struct Pending {
    name: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
}

pub(super) fn read<R: Read>(
    reader: R,
    tree: &mut Tree,
    limits: &Limits,
) -> Result<(), UnpackError> {
    let gz = flate2::read::MultiGzDecoder::new(reader);
    let (capped, tripped) = Capped::new(gz, limits.bytes);
    // The tar parser reports the cap as its own I/O error: say which limit it was.
    let corrupt = |e: io::Error| {
        if tripped.load(Ordering::Relaxed) {
            bytes_exceeded(None, limits)
        } else {
            UnpackError::Corrupt(e.to_string())
        }
    };
    let mut buffered = BufReader::with_capacity(INFLATE_BUF, capped);
    {
        let mut archive = tar::Archive::new(&mut buffered);
        let entries = archive.entries().map_err(corrupt)?.raw(true);
        let mut pending = Pending::default();
        for entry in entries {
            let mut entry = entry.map_err(corrupt)?;
            tree.count_entry()?;
            use tar::EntryType as T;
            let kind = entry.header().entry_type();
            let what = match kind {
                T::GNULongName => Some("GNU long name"),
                T::GNULongLink => Some("GNU long link name"),
                T::XHeader => Some("PAX header"),
                T::XGlobalHeader => Some("PAX global header"),
                _ => None,
            };
            if let Some(what) = what {
                let size = entry.size();
                if size > limits::MAX_META {
                    return Err(UnpackError::Limit(format!(
                        "the archive declares a {} {what}, over the {} limit for tar metadata entries (Go SDKs use a few hundred bytes)",
                        human(size),
                        human(limits::MAX_META)
                    )));
                }
                let mut data = Vec::with_capacity(size as usize);
                entry.read_to_end(&mut data).map_err(corrupt)?;
                match kind {
                    T::GNULongName => pending.name = Some(trim_nul(data)),
                    T::GNULongLink => pending.link = Some(trim_nul(data)),
                    T::XHeader => pax(&data, &mut pending)?,
                    _ => {} // global headers carry nothing gvr uses
                }
                continue;
            }
            let p = std::mem::take(&mut pending);
            let raw = p
                .name
                .unwrap_or_else(|| entry.header().path_bytes().into_owned());
            let name = String::from_utf8(raw).map_err(|e| {
                refused(
                    &String::from_utf8_lossy(e.as_bytes()),
                    "the name is not UTF-8",
                )
            })?;
            let declared = entry.header().entry_size().map_err(corrupt)?;
            if p.size.is_some_and(|s| s != declared) {
                return Err(refused(
                    &name,
                    "a PAX size override (only needed for files over 8 GiB) is not supported",
                ));
            }
            let link = p
                .link
                .or_else(|| entry.header().link_name_bytes().map(|l| l.into_owned()));
            let mode = entry.header().mode().unwrap_or(0o644);
            let Some(rel) = tree.rel_path(&name)? else {
                continue;
            };
            match kind {
                T::Regular | T::Continuous => {
                    let size = entry.size();
                    tree.file(&name, rel, mode, size, &mut entry)?
                }
                T::Directory => tree.dir(&name, rel)?,
                T::Symlink => tree.symlink(&name, rel, link_target(&name, link)?)?,
                T::Link => tree.hardlink(&name, rel, &link_target(&name, link)?)?,
                T::Char | T::Block => return Err(refused(&name, "device nodes are not allowed")),
                T::Fifo => return Err(refused(&name, "fifo nodes are not allowed")),
                other => return Err(refused(&name, format!("unsupported entry type {other:?}"))),
            }
        }
        if pending.name.is_some() || pending.link.is_some() || pending.size.is_some() {
            return Err(UnpackError::Corrupt(
                "the archive ends with metadata for an entry that is not there".into(),
            ));
        }
    }
    // The tar end marker may come before the end of the gzip stream.
    io::copy(&mut buffered, &mut io::sink()).map_err(corrupt)?;
    Ok(())
}

/// Takes `path`, `linkpath` and `size` from a PAX header; other keys (times, owners)
/// mean nothing to an install.
fn pax(data: &[u8], pending: &mut Pending) -> Result<(), UnpackError> {
    for ext in tar::PaxExtensions::new(data) {
        let ext = ext.map_err(|e| UnpackError::Corrupt(format!("a PAX header: {e}")))?;
        match ext.key_bytes() {
            b"path" => pending.name = Some(ext.value_bytes().to_vec()),
            b"linkpath" => pending.link = Some(ext.value_bytes().to_vec()),
            b"size" => {
                let size = ext
                    .value()
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| UnpackError::Corrupt("a PAX header has a bad size".into()))?;
                pending.size = Some(size)
            }
            _ => {}
        }
    }
    Ok(())
}

fn trim_nul(mut v: Vec<u8>) -> Vec<u8> {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

fn link_target(name: &str, target: Option<Vec<u8>>) -> Result<String, UnpackError> {
    let t = target.ok_or_else(|| refused(name, "a link without a target"))?;
    String::from_utf8(t).map_err(|_| refused(name, "the link target is not UTF-8"))
}
