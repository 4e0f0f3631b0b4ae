//! The `GVR_SET` marker: which variables gvr itself set, with a fingerprint of each
//! value, so a nested shim, `gvr exec` or `gvr env` recomputes them for its own
//! directory instead of keeping an outer workspace's values as the user's. A value
//! changed since (by the user) no longer matches its fingerprint and counts as the
//! user's again.

use std::ffi::{OsStr, OsString};

use crate::env_var::{EnvValue, EnvVar};
use crate::fnv::fnv1a;
use crate::process::Process;

/// The marker's variable.
pub const GVR_SET_VAR: &str = "GVR_SET";

/// The variables the marker tracks: the ones gvr keeps when the user set them. gvr no
/// longer sets GOWORK, but still recognises (and removes) one an older gvr exported.
const TRACKED: [&str; 4] = ["GOROOT", "GOTOOLCHAIN", "GOWORK", "GOCACHE"];

/// The parsed `GVR_SET` marker: `NAME:<fingerprint>,…` for each tracked variable gvr
/// set (see [`GVR_SET_VAR`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GvrSet {
    entries: Vec<(String, u64)>,
}

impl GvrSet {
    /// The marker in the environment of `p`.
    pub fn from_process(p: &dyn Process) -> GvrSet {
        let Some(value) = p.var_os(GVR_SET_VAR) else {
            return GvrSet::default();
        };
        let entries = value
            .to_string_lossy()
            .split(',')
            .filter_map(|item| {
                let (name, hash) = item.split_once(':')?;
                Some((name.to_string(), u64::from_str_radix(hash, 16).ok()?))
            })
            .collect();
        GvrSet { entries }
    }

    /// Whether `name=value` is exactly what gvr set.
    pub fn set_by_gvr(&self, name: &str, value: &OsStr) -> bool {
        let fp = fingerprint(value);
        self.entries.iter().any(|(n, h)| n == name && *h == fp)
    }

    /// `value` of `name` if it is the user's: not empty and not what gvr set.
    pub fn users_own(&self, name: &str, value: Option<OsString>) -> Option<OsString> {
        value.filter(|v| !v.is_empty() && !self.set_by_gvr(name, v))
    }

    /// The marker to export along with `vars`: the tracked variables they set, plus those
    /// they leave alone that an outer gvr set and nobody changed.
    pub(crate) fn next(&self, vars: &[EnvVar], p: &dyn Process) -> Option<EnvVar> {
        let mut text = String::new();
        for name in TRACKED {
            let fp = match vars.iter().find(|v| v.name == name) {
                Some(EnvVar {
                    value: EnvValue::Set(v),
                    ..
                }) => Some(fingerprint(v)),
                Some(_) => None,
                None => p
                    .var_os(name)
                    .filter(|v| self.set_by_gvr(name, v))
                    .map(|v| fingerprint(&v)),
            };
            if let Some(fp) = fp {
                if !text.is_empty() {
                    text.push(',');
                }
                text.push_str(&format!("{name}:{fp:016x}"));
            }
        }
        let why = "what gvr set, so a nested shim or `gvr exec` recomputes it instead of keeping it as yours";
        if !text.is_empty() {
            Some(EnvVar::set(GVR_SET_VAR, text, why))
        } else if p.var_os(GVR_SET_VAR).is_some() {
            Some(EnvVar {
                name: GVR_SET_VAR,
                value: EnvValue::Unset,
                why: why.into(),
            })
        } else {
            None
        }
    }
}

pub(crate) fn fingerprint(value: &OsStr) -> u64 {
    fnv1a(value.as_encoded_bytes())
}
