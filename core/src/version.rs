//! Go release names and what users may type for them.
//!
//! `GoVersion` follows Go's own grammar and ordering (`internal/gover`), not semver:
//! `1.21 < 1.21rc1 < 1.21.0 < 1.21.1`, and before 1.21 a missing patch means `.0`
//! (`1.20 == 1.20.0`, `1.20rc1 < 1.20`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A Go version such as `1.22.6`, `1.23rc1`, `1.9beta2` or the language version `1.21`.
#[derive(Debug, Clone)]
pub struct GoVersion {
    major: u64,
    minor: u64,
    /// `None` for a language version or a prerelease of a minor (`1.21`, `1.21rc1`).
    patch: Option<u64>,
    /// Prerelease kind (`alpha`, `beta`, `rc`), empty for a release.
    kind: String,
    pre: Option<u64>,
    /// Canonical text without the `go` prefix, as Go spells it.
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a Go version (expected something like 1.22.6, 1.23rc1 or go1.21.13)")]
pub struct ParseVersionError {
    pub input: String,
}

impl GoVersion {
    pub fn major(&self) -> u64 {
        self.major
    }
    pub fn minor(&self) -> u64 {
        self.minor
    }

    /// A release rather than a beta or release candidate.
    pub fn is_stable(&self) -> bool {
        self.kind.is_empty()
    }

    /// A language version like `1.21`: no patch and no prerelease, as written.
    pub fn is_lang(&self) -> bool {
        self.kind.is_empty() && self.text.matches('.').count() <= 1
    }

    /// The language version this release belongs to (`1.21.3` → `1.21`).
    pub fn lang(&self) -> GoVersion {
        format!("{}.{}", self.major, self.minor)
            .parse()
            .expect("major.minor is always a valid Go version")
    }

    /// The toolchain name Go uses: `go1.21.0`, `go1.21rc1`. A language version at or
    /// after 1.21 names its first release (`1.22` → `go1.22.0`), as the go command does
    /// for a `go` line.
    pub fn toolchain_name(&self) -> String {
        if self.is_lang() && (self.major, self.minor) >= (1, 21) {
            format!("go{}.0", self.text)
        } else {
            format!("go{}", self.text)
        }
    }

    /// The name Go released this version under. Before 1.21 a minor's first release is
    /// `go1.20`, never `go1.20.0`, so `1.20.0` → `1.20`; anything else is unchanged.
    /// Equal to `self` by Go's ordering either way.
    pub fn release_name(&self) -> GoVersion {
        if self.kind.is_empty()
            && self.patch == Some(0)
            && (self.major, self.minor) < (1, 21)
            && self.text.matches('.').count() == 2
        {
            self.lang()
        } else {
            self.clone()
        }
    }

    /// The release a `go` line asks for at minimum (`go 1.22` → `1.22.0`).
    pub fn as_release_floor(&self) -> GoVersion {
        if self.is_lang() && (self.major, self.minor) >= (1, 21) {
            format!("{}.0", self.text).parse().expect("valid")
        } else {
            self.clone()
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for GoVersion {
    type Err = ParseVersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = || ParseVersionError {
            input: input.to_string(),
        };
        let s = input.trim();
        let s = s.strip_prefix("go").unwrap_or(s);
        let mut rest = s;

        let major = take_int(&mut rest).ok_or_else(err)?;
        let mut minor = None;
        let mut patch = None;
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
            minor = Some(take_int(&mut rest).ok_or_else(err)?);
            if let Some(r) = rest.strip_prefix('.') {
                rest = r;
                patch = Some(take_int(&mut rest).ok_or_else(err)?);
            }
        }
        let kind: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase())
            .collect();
        rest = &rest[kind.len()..];
        let pre = if kind.is_empty() {
            None
        } else {
            Some(take_int(&mut rest).ok_or_else(err)?)
        };
        // gover's grammar: a prerelease follows major.minor only (`1.21rc1`, never
        // `1.21.1rc1` or `1rc1`).
        if !rest.is_empty() || (pre.is_some() && (minor.is_none() || patch.is_some())) {
            return Err(err());
        }
        let minor = minor.unwrap_or(0);
        // Go only knows these kinds; anything else is a typo, not a release.
        if !matches!(kind.as_str(), "" | "alpha" | "beta" | "rc") {
            return Err(err());
        }
        // gover: "1.2" means "1.2.0" for minor < 21 (only for a plain release).
        if patch.is_none() && kind.is_empty() && (major, minor) < (1, 21) {
            patch = Some(0);
        }
        Ok(GoVersion {
            major,
            minor,
            patch,
            kind,
            pre,
            text: s.to_string(),
        })
    }
}

/// A decimal with no leading zero (Go's `cutInt`).
fn take_int(s: &mut &str) -> Option<u64> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || (digits > 1 && s.starts_with('0')) {
        return None;
    }
    let n = s[..digits].parse().ok()?;
    *s = &s[digits..];
    Some(n)
}

impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        // `None < Some(0)` gives 1.21 < 1.21rc1 < 1.21.0; "" < "alpha" < "beta" < "rc"
        // puts the language version before every prerelease of its minor.
        self.major
            .cmp(&other.major)
            .then(self.minor.cmp(&other.minor))
            .then(self.patch.cmp(&other.patch))
            .then_with(|| kind_rank(&self.kind).cmp(&kind_rank(&other.kind)))
            .then(self.pre.cmp(&other.pre))
    }
}

/// Within one patch level a release sorts after its prereleases only through `patch`
/// (prereleases have none); between prereleases, alpha < beta < rc.
fn kind_rank(kind: &str) -> u8 {
    match kind {
        "" => 0,
        "alpha" => 1,
        "beta" => 2,
        _ => 3,
    }
}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GoVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GoVersion {}

impl std::hash::Hash for GoVersion {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (
            self.major,
            self.minor,
            self.patch,
            kind_rank(&self.kind),
            self.pre,
        )
            .hash(state);
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What a user may type where a version is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSpec {
    /// A full release or prerelease name: `1.22.6`, `1.23rc1`, `1.20` (before 1.21 the
    /// minor names its first release).
    Exact(GoVersion),
    /// `1` or `1.22`: the newest matching release.
    Prefix { major: u64, minor: Option<u64> },
    /// The newest stable release.
    Latest,
    /// The `go` found on PATH outside gvr's shims.
    System,
}

impl VersionSpec {
    /// Whether `v` is one of the versions this spec names (for `Latest`, any stable one).
    pub fn matches(&self, v: &GoVersion) -> bool {
        match self {
            VersionSpec::Exact(e) => e == v,
            VersionSpec::Prefix { major, minor } => {
                v.major == *major && minor.is_none_or(|m| v.minor == m)
            }
            VersionSpec::Latest => v.is_stable(),
            VersionSpec::System => false,
        }
    }

    /// The best of `candidates` for this spec: the exact one, else the newest stable
    /// match, else (only prereleases match) the newest prerelease.
    pub fn pick<'a, I>(&self, candidates: I) -> Option<&'a GoVersion>
    where
        I: IntoIterator<Item = &'a GoVersion>,
    {
        let matching: Vec<&GoVersion> =
            candidates.into_iter().filter(|v| self.matches(v)).collect();
        matching
            .iter()
            .copied()
            .filter(|v| v.is_stable())
            .max()
            .or_else(|| matching.iter().copied().max())
    }
}

impl FromStr for VersionSpec {
    type Err = ParseVersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        match s {
            "latest" => return Ok(VersionSpec::Latest),
            "system" => return Ok(VersionSpec::System),
            _ => {}
        }
        let v: GoVersion = s.parse()?;
        let bare = s.strip_prefix("go").unwrap_or(s);
        let dots = bare.matches('.').count();
        // `1.20` and older minors were themselves releases; `1.21`+ are language
        // versions, so a bare minor there is a prefix. A bare minor before 1.21 is a
        // prefix too: users mean "the newest 1.20.x", which includes 1.20 itself.
        if v.is_stable() && dots <= 1 {
            let minor = (dots == 1).then_some(v.minor);
            return Ok(VersionSpec::Prefix {
                major: v.major,
                minor,
            });
        }
        Ok(VersionSpec::Exact(v))
    }
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSpec::Exact(v) => write!(f, "{v}"),
            VersionSpec::Prefix {
                major,
                minor: Some(m),
            } => write!(f, "{major}.{m}"),
            VersionSpec::Prefix { major, minor: None } => write!(f, "{major}"),
            VersionSpec::Latest => f.write_str("latest"),
            VersionSpec::System => f.write_str("system"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> GoVersion {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_release_names() {
        for s in [
            "1.22.6",
            "go1.22.6",
            "1.21rc1",
            "1.9beta2",
            "1.21",
            "1",
            "1.18alpha1",
        ] {
            assert!(s.parse::<GoVersion>().is_ok(), "{s}");
        }
        assert_eq!(v("go1.22.6").to_string(), "1.22.6");
    }

    #[test]
    fn rejects_non_versions() {
        for s in [
            "",
            "go",
            "1.",
            "1.22.",
            "01.2",
            "1.02",
            "1.22.6-bigcorp",
            "1.21xx1",
            "1.21rc",
            "1.21.1rc1",
            "1.21.0beta2",
            "1rc1",
            "v1.22.6",
            "latest",
        ] {
            assert!(s.parse::<GoVersion>().is_err(), "{s} should not parse");
        }
    }

    #[test]
    fn orders_like_gover() {
        // Go's own examples (internal/gover tests, go.dev/doc/toolchain).
        let chain = [
            "1.18beta1",
            "1.18beta2",
            "1.18rc1",
            "1.18",
            "1.18.1",
            "1.20rc1",
            "1.20",
            "1.20.1",
            "1.21",
            "1.21rc1",
            "1.21rc2",
            "1.21.0",
            "1.21.1",
            "1.22.6",
            "1.22.10",
            "1.23rc1",
        ];
        for w in chain.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1.20"), v("1.20.0"));
        assert_eq!(v("1"), v("1.0.0"));
        assert!(v("1.21") < v("1.21.0"));
        assert!(v("1.9.2") < v("1.10"));
    }

    #[test]
    fn release_names_follow_go_dev() {
        for (typed, released) in [
            ("1.20.0", "1.20"),
            ("go1.9.0", "1.9"),
            ("1.20", "1.20"),
            ("1.20.1", "1.20.1"),
            ("1.21.0", "1.21.0"),
            ("1.21", "1.21"),
            ("1.20rc1", "1.20rc1"),
        ] {
            let r = v(typed).release_name();
            assert_eq!(r.as_str(), released, "{typed}");
            assert_eq!(r, v(typed), "{typed}: same version by Go's ordering");
        }
    }

    #[test]
    fn toolchain_names_follow_go() {
        assert_eq!(v("1.21").toolchain_name(), "go1.21.0");
        assert_eq!(v("1.22.6").toolchain_name(), "go1.22.6");
        assert_eq!(v("1.21rc1").toolchain_name(), "go1.21rc1");
        assert_eq!(v("1.20").toolchain_name(), "go1.20");
        assert_eq!(v("1.22").as_release_floor().to_string(), "1.22.0");
    }

    #[test]
    fn specs() {
        assert_eq!(
            "latest".parse::<VersionSpec>().unwrap(),
            VersionSpec::Latest
        );
        assert_eq!(
            "system".parse::<VersionSpec>().unwrap(),
            VersionSpec::System
        );
        assert_eq!(
            "1.22".parse::<VersionSpec>().unwrap(),
            VersionSpec::Prefix {
                major: 1,
                minor: Some(22)
            }
        );
        assert_eq!(
            "go1".parse::<VersionSpec>().unwrap(),
            VersionSpec::Prefix {
                major: 1,
                minor: None
            }
        );
        assert_eq!(
            "1.22.6".parse::<VersionSpec>().unwrap(),
            VersionSpec::Exact(v("1.22.6"))
        );
        assert_eq!(
            "1.23rc1".parse::<VersionSpec>().unwrap(),
            VersionSpec::Exact(v("1.23rc1"))
        );
        assert!("1.x".parse::<VersionSpec>().is_err());
    }

    #[test]
    fn pick_prefers_newest_stable() {
        let vs: Vec<GoVersion> = ["1.22.6", "1.22.10", "1.23rc1", "1.21.13", "1.22.2"]
            .iter()
            .map(|s| v(s))
            .collect();
        let pick = |s: &str| {
            s.parse::<VersionSpec>()
                .unwrap()
                .pick(&vs)
                .map(|v| v.to_string())
        };
        assert_eq!(pick("1.22").as_deref(), Some("1.22.10"));
        assert_eq!(pick("latest").as_deref(), Some("1.22.10"));
        assert_eq!(pick("1.23").as_deref(), Some("1.23rc1"));
        assert_eq!(pick("1.23rc1").as_deref(), Some("1.23rc1"));
        assert_eq!(pick("1.24"), None);
        assert_eq!(pick("1").as_deref(), Some("1.22.10"));
    }
}
