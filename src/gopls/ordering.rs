//! Ordering gopls versions by semver precedence (a prerelease before its release,
//! numeric identifiers by value), with the `semver` crate. The shims never order gopls
//! versions, so gvr-core keeps them as checked text and only the command links semver.

use std::cmp::Ordering;

use super::GoplsVersion;

/// `v` as a semver version. Every [`GoplsVersion`] is one (its grammar is a subset of
/// semver's; a test holds them to it), so `None` does not happen in practice.
pub fn semver(v: &GoplsVersion) -> Option<semver::Version> {
    semver::Version::parse(v.as_str().strip_prefix('v').unwrap_or(v.as_str())).ok()
}

/// Semver precedence of `a` and `b` (by text should either not be semver).
pub fn cmp(a: &GoplsVersion, b: &GoplsVersion) -> Ordering {
    match (semver(a), semver(b)) {
        (Some(x), Some(y)) => x.cmp_precedence(&y),
        _ => a.as_str().cmp(b.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gopls::table;

    fn gv(s: &str) -> GoplsVersion {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn semver_precedence() {
        let chain = [
            "v0.14.2",
            "v0.15.3",
            "v0.16.0",
            "v0.21.0-pre.1",
            "v0.21.0-pre.2",
            "v0.21.0-pre.10",
            "v0.21.0-rc.1",
            "v0.21.0",
            "v0.21.1",
            "v1.0.0",
        ];
        for w in chain.windows(2) {
            assert_eq!(
                cmp(&gv(w[0]), &gv(w[1])),
                Ordering::Less,
                "{} < {}",
                w[0],
                w[1]
            );
        }
        assert_eq!(cmp(&gv("0.20.0"), &gv("v0.20.0")), Ordering::Equal);
    }

    #[test]
    fn every_gopls_version_is_semver() {
        let table = table::embedded();
        let versions = table
            .builds
            .iter()
            .map(|b| b.gopls.clone())
            .chain(table.recommends.iter().map(|r| r.gopls.clone()))
            .chain(
                [
                    "v0.21.0-pre.1",
                    "v0.0.0-x.0.y1",
                    "v18446744073709551615.0.0",
                ]
                .map(gv),
            );
        for v in versions {
            assert!(semver(&v).is_some(), "{v}");
        }
    }

    /// gvr-core's table walks build rows in file order, which must be oldest first.
    #[test]
    fn the_table_lists_builds_oldest_first() {
        let builds = &table::embedded().builds;
        for w in builds.windows(2) {
            assert_eq!(
                cmp(&w[0].gopls, &w[1].gopls),
                Ordering::Less,
                "data/gopls-compat.tsv: {} is listed before {}",
                w[0].gopls,
                w[1].gopls
            );
        }
    }
}
