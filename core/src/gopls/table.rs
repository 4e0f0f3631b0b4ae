//! The gopls compatibility table (`data/gopls-compat.tsv`, embedded): the Go each gopls
//! release needs to build (oldest gopls first), and the gopls recommended for each Go
//! minor. Parsed by hand
//! (tab-separated lines) because the shim links this and must stay lean.

use std::sync::OnceLock;

use super::GoplsVersion;
use crate::version::GoVersion;

/// The table as shipped in this gvr.
pub const TABLE_TSV: &str = include_str!("../../../data/gopls-compat.tsv");

/// A `build` row: the `go` line of gopls/go.mod at that tag.
#[derive(Debug, Clone)]
pub struct BuildRow {
    pub gopls: GoplsVersion,
    pub go: GoVersion,
    pub source: String,
}

/// A `recommend` row: the gopls for a Go minor.
#[derive(Debug, Clone)]
pub struct RecommendRow {
    /// The Go minor (language version), e.g. `1.24`.
    pub go: GoVersion,
    pub gopls: GoplsVersion,
    pub source: String,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub builds: Vec<BuildRow>,
    pub recommends: Vec<RecommendRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gopls table line {line}: {reason}")]
pub struct TableError {
    pub line: usize,
    pub reason: String,
}

impl Table {
    pub fn parse(text: &str) -> Result<Table, TableError> {
        let mut t = Table::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: String| TableError {
                line: i + 1,
                reason,
            };
            let cols: Vec<&str> = line.split('\t').collect();
            let [kind, key, value, source] = cols[..] else {
                return Err(err(format!(
                    "expected 4 tab-separated columns, got {}",
                    cols.len()
                )));
            };
            if source.trim().is_empty() {
                return Err(err("every row needs its source".into()));
            }
            let source = source.trim().to_string();
            match kind {
                "build" => t.builds.push(BuildRow {
                    gopls: key.parse().map_err(|e| err(format!("{e}")))?,
                    go: value.parse().map_err(|e| err(format!("{e}")))?,
                    source,
                }),
                "recommend" => t.recommends.push(RecommendRow {
                    go: key.parse().map_err(|e| err(format!("{e}")))?,
                    gopls: value.parse().map_err(|e| err(format!("{e}")))?,
                    source,
                }),
                other => return Err(err(format!("unknown row kind `{other}`"))),
            }
        }
        Ok(t)
    }

    /// The Go needed to build `gopls`, when the table knows that release.
    pub fn min_go(&self, gopls: &GoplsVersion) -> Option<&BuildRow> {
        self.builds.iter().find(|r| r.gopls == *gopls)
    }

    /// The recommended gopls for `go`: the row for its minor, walked down to the newest
    /// listed gopls this exact Go can build when it is an early patch (or a prerelease)
    /// older than the recommended release needs. `None` for a minor the table lacks.
    pub fn recommended(&self, go: &GoVersion) -> Option<&GoplsVersion> {
        let row = self
            .recommends
            .iter()
            .find(|r| r.go.major() == go.major() && r.go.minor() == go.minor())?;
        // Build rows are listed oldest gopls first (the `gvr` crate checks the embedded
        // table with semver), so the ones before the recommended release are older.
        let Some(at) = self.builds.iter().position(|b| b.gopls == row.gopls) else {
            return Some(&row.gopls); // no known requirement: assume it builds
        };
        if self.builds[at].go <= *go {
            return Some(&row.gopls);
        }
        self.builds[..at]
            .iter()
            .rev()
            .find(|b| !b.gopls.is_prerelease() && b.go <= *go)
            .map(|b| &b.gopls)
    }
}

/// The embedded table, parsed once per process. Its validity is a unit test, so parsing
/// cannot fail at run time.
pub fn embedded() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        Table::parse(TABLE_TSV).expect("data/gopls-compat.tsv is checked by the unit tests")
    })
}

/// The Go needed to build `gopls`, per the embedded table.
pub fn min_go(gopls: &GoplsVersion) -> Option<&'static BuildRow> {
    embedded().min_go(gopls)
}

/// The recommended gopls for `go`, per the embedded table.
pub fn recommended(go: &GoVersion) -> Option<&'static GoplsVersion> {
    embedded().recommended(go)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(s: &str) -> GoVersion {
        s.parse().unwrap()
    }
    fn rec(s: &str) -> Option<String> {
        recommended(&go(s)).map(|v| v.to_string())
    }

    #[test]
    fn embedded_table_parses_and_covers_1_12_to_1_27() {
        let t = Table::parse(TABLE_TSV).unwrap();
        assert!(t.builds.len() >= 20);
        for minor in 12..=27 {
            let g = go(&format!("1.{minor}"));
            assert!(
                t.recommends.iter().any(|r| r.go == g),
                "no row for 1.{minor}"
            );
        }
        // Every recommended release has a build row, and that build row's Go belongs to
        // the same minor or an older one (the Go can build it at some patch).
        for r in &t.recommends {
            let b = t
                .min_go(&r.gopls)
                .unwrap_or_else(|| panic!("no build row for {}", r.gopls));
            assert!(
                (b.go.major(), b.go.minor()) <= (r.go.major(), r.go.minor()),
                "{} needs {}",
                r.gopls,
                b.go
            );
        }
    }

    #[test]
    fn recommendations_match_the_facts() {
        assert_eq!(rec("1.12.17").as_deref(), Some("v0.7.5"));
        assert_eq!(rec("1.12").as_deref(), Some("v0.7.5"));
        assert_eq!(rec("1.13.15").as_deref(), Some("v0.9.5"));
        assert_eq!(rec("1.14.15").as_deref(), Some("v0.9.5"));
        assert_eq!(rec("1.15.15").as_deref(), Some("v0.9.5"));
        assert_eq!(rec("1.16.15").as_deref(), Some("v0.11.0"));
        assert_eq!(rec("1.17.13").as_deref(), Some("v0.11.0"));
        assert_eq!(rec("1.18").as_deref(), Some("v0.14.2"));
        assert_eq!(rec("1.19.13").as_deref(), Some("v0.15.3"));
        assert_eq!(rec("1.20.14").as_deref(), Some("v0.15.3"));
        assert_eq!(rec("1.21.13").as_deref(), Some("v0.16.2"));
        assert_eq!(rec("1.22.10").as_deref(), Some("v0.16.2"));
        assert_eq!(rec("1.23.4").as_deref(), Some("v0.18.1"));
        assert_eq!(rec("1.24.11").as_deref(), Some("v0.20.0"));
        assert_eq!(rec("1.25.0").as_deref(), Some("v0.21.1"));
        assert_eq!(rec("1.26.8").as_deref(), Some("v0.23.0"));
        assert_eq!(rec("1.27.1").as_deref(), Some("v0.24.0"));
        assert_eq!(rec("1.11.13"), None);
        assert_eq!(rec("1.28.0"), None);
    }

    #[test]
    fn early_patches_walk_down_to_what_they_can_build() {
        // v0.18.1 needs 1.23.4, v0.17.x needs 1.23.1.
        assert_eq!(rec("1.23.2").as_deref(), Some("v0.17.1"));
        assert_eq!(rec("1.23.0").as_deref(), Some("v0.16.2"));
        // v0.20.0 needs 1.24.2.
        assert_eq!(rec("1.24.1").as_deref(), Some("v0.18.1"));
        // A release candidate of 1.27 is older than 1.27.0.
        assert_eq!(rec("1.27rc1").as_deref(), Some("v0.23.0"));
    }

    #[test]
    fn build_requirements_match_go_mod() {
        let need = |v: &str| min_go(&v.parse().unwrap()).map(|r| r.go.to_string());
        assert_eq!(need("v0.7.5").as_deref(), Some("1.12"));
        assert_eq!(need("v0.9.5").as_deref(), Some("1.13"));
        assert_eq!(need("v0.11.0").as_deref(), Some("1.16"));
        assert_eq!(need("v0.14.2").as_deref(), Some("1.18"));
        assert_eq!(need("v0.16.2").as_deref(), Some("1.19"));
        assert_eq!(need("v0.17.0").as_deref(), Some("1.23.1"));
        assert_eq!(need("v0.18.1").as_deref(), Some("1.23.4"));
        assert_eq!(need("v0.20.0").as_deref(), Some("1.24.2"));
        assert_eq!(need("v0.21.1").as_deref(), Some("1.25"));
        assert_eq!(need("v0.23.0").as_deref(), Some("1.26.0"));
        assert_eq!(need("v0.24.0").as_deref(), Some("1.27.0"));
        assert_eq!(need("v0.15.0"), None);
        assert!(min_go(&"v0.20.0".parse().unwrap())
            .unwrap()
            .source
            .contains("proxy"));
    }

    #[test]
    fn the_embedded_table_is_parsed_once() {
        assert!(std::ptr::eq(embedded(), embedded()));
    }

    #[test]
    fn rejects_rows_without_source_or_with_bad_fields() {
        assert_eq!(
            Table::parse("build\tv0.20.0\t1.24.2\t\n").unwrap_err().line,
            1
        );
        assert!(Table::parse("# c\nbuild\tv0.20\t1.24.2\tx\n").is_err());
        assert!(Table::parse("recommend\t1.24\tv0.20.0\n").is_err());
        assert!(Table::parse("pick\t1.24\tv0.20.0\tx\n").is_err());
        assert!(Table::parse("build\tv0.20.0\t1.24.2\tx\r\n").is_ok());
    }
}
