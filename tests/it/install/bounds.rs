//! Unpacking is bounded before the archive's sha256 is known (it unpacks while it
//! streams): total unpacked bytes, entry count, name length and the size of tar
//! metadata entries (GNU long names, PAX headers). Each archive here is generated
//! cheaply and refused with an error that names the limit.

use std::io::{self, Read, Write};

use super::*;

/// The synthetic SDK's entries as a tar, followed by whatever `extra` appends.
fn tar_gz_with(
    extra: impl FnOnce(&mut tar::Builder<flate2::write::GzEncoder<Vec<u8>>>),
) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    let sdk = Dist::sdk("1.22.6").bytes;
    let mut base = tar::Archive::new(flate2::read::GzDecoder::new(&sdk[..]));
    for e in base.entries().unwrap() {
        let mut e = e.unwrap();
        let mut h = e.header().clone();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        h.set_cksum();
        b.append(&h, &data[..]).unwrap();
    }
    extra(&mut b);
    b.into_inner().unwrap().finish().unwrap()
}

fn file_header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    h.set_size(size);
    h
}

/// A raw tar header block of `kind` declaring `size` bytes, followed by `data`.
fn raw_entry(kind: tar::EntryType, name: &str, size: u64, data: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_size(size);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out
}

/// The SDK tar (uncompressed, without its end marker) plus `tail`, gzipped.
fn sdk_then(tail: &[u8]) -> Vec<u8> {
    let sdk = Dist::sdk("1.22.6").bytes;
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(&sdk[..])
        .read_to_end(&mut tar)
        .unwrap();
    // Drop the two zero blocks (and padding) that end the archive.
    while tar.len() >= 512 && tar[tar.len() - 512..].iter().all(|&b| b == 0) {
        tar.truncate(tar.len() - 512);
    }
    tar.extend_from_slice(tail);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

/// Publishes `bytes` as 1.22.6 (tar.gz or zip by name), installs it, and checks it was
/// refused cleanly with an error containing every one of `says`.
#[track_caller]
fn refused(label: &str, bytes: Vec<u8>, zip: bool, says: &[&str]) {
    let mut d = Dist::raw("1.22.6", bytes);
    if zip {
        d.filename = format!("go1.22.6.{}-{}.zip", host_os(), host_arch());
    }
    let m = MirrorBuilder::new().dist(d).build();
    let mut g = Gvr::new();
    g.mirror(m.path());
    let r = g.run(["install", "1.22.6"]);
    assert_eq!(r.code, 1, "{label}: {r:?}");
    for s in says {
        assert!(r.stderr.contains(s), "{label}: no `{s}` in:\n{}", r.stderr);
    }
    assert!(
        Gvr::ls(&g.versions_dir()).is_empty(),
        "{label}: {:?}",
        tree(&g.versions_dir())
    );
    assert_tmp_clean(&g);
}

const MIB: u64 = 1 << 20;

#[test]
fn a_gzip_bomb_is_refused_by_the_unpacked_size_limit() {
    // 160 MiB of zeros in one file: the header alone gives it away.
    let one = tar_gz_with(|b| {
        b.append_data(
            &mut file_header(160 * MIB),
            "go/pkg/zeros",
            io::repeat(0).take(160 * MIB),
        )
        .unwrap();
    });
    assert!(one.len() < 2 * MIB as usize);
    refused(
        "one big file",
        one,
        false,
        &["go/pkg/zeros", "unpacked-size limit", "decompression bomb"],
    );

    // Many files that each look fine but add up.
    let many = tar_gz_with(|b| {
        for i in 0..10 {
            b.append_data(
                &mut file_header(16 * MIB),
                format!("go/pkg/zeros{i}"),
                io::repeat(0).take(16 * MIB),
            )
            .unwrap();
        }
    });
    refused(
        "many files",
        many,
        false,
        &["unpacked-size limit", "decompression bomb"],
    );
}

#[test]
fn a_zip_bomb_is_refused_by_the_unpacked_size_limit() {
    use zip::write::SimpleFileOptions;
    let base = Dist::sdk_zip("1.22.6").bytes;
    let mut w = zip::ZipWriter::new_append(io::Cursor::new(base)).unwrap();
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    w.start_file("go/pkg/zeros", opts).unwrap();
    io::copy(&mut io::repeat(0).take(160 * MIB), &mut w).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    assert!(bytes.len() < 2 * MIB as usize);
    refused(
        "zip bomb",
        bytes,
        true,
        &["go/pkg/zeros", "unpacked-size limit", "decompression bomb"],
    );
}

#[test]
fn huge_tar_metadata_entries_are_refused_before_they_are_read() {
    // A GNU long name and a PAX header declaring gigabytes (only a little is there: the
    // unpacker must refuse on the declared size, not try to hold it in memory).
    for (kind, label) in [
        (tar::EntryType::GNULongName, "GNU long name"),
        (tar::EntryType::GNULongLink, "GNU long link name"),
        (tar::EntryType::XHeader, "PAX header"),
        (tar::EntryType::XGlobalHeader, "PAX global header"),
    ] {
        let bytes = sdk_then(&raw_entry(
            kind,
            "././@LongLink",
            4 << 30,
            &[b'a'; 64 * 1024],
        ));
        refused(label, bytes, false, &["4 GiB", "limit", "64 KiB"]);
    }
}

#[test]
fn too_many_entries_are_refused() {
    // 100 001 repeats of `go/` cost 512 bytes each, and nothing on disk.
    let bytes = tar_gz_with(|b| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        for _ in 0..100_001 {
            b.append_data(&mut h.clone(), "go/", io::empty()).unwrap();
        }
    });
    refused("tar", bytes, false, &["100000 entries", "limit"]);

    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    for i in 0..100_001 {
        w.add_directory(format!("go/d{i}/"), SimpleFileOptions::default())
            .unwrap();
    }
    let bytes = w.finish().unwrap().into_inner();
    refused("zip", bytes, true, &["100000 entries", "limit"]);
}

#[test]
fn overlong_names_are_refused() {
    let long = format!("go/{}", [&"a".repeat(220)[..]; 5].join("/"));
    assert!(long.len() > 1024);
    let bytes = tar_gz_with(|b| {
        b.append_data(&mut file_header(1), &long, &b"x"[..])
            .unwrap();
    });
    refused("tar", bytes, false, &["1024 bytes", "limit"]);
    let bytes = crate::support::fixtures::zip(
        &crate::support::fixtures::sdk_entries(
            "1.22.6",
            host_os(),
            host_arch(),
            &SdkOptions::default(),
        )
        .into_iter()
        .chain([RawEntry::file(&long, 0o644, b"x")])
        .collect::<Vec<_>>(),
    );
    refused("zip", bytes, true, &["1024 bytes", "limit"]);
}
