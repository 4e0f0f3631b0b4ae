//! One variable of a tool's environment, what gvr does with it and why; applying a list
//! of them to a command.

use std::ffi::{OsStr, OsString};
use std::process::Command;

/// One variable of the tool's environment and why it has that value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub name: &'static str,
    pub value: EnvValue,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// gvr sets it to this.
    Set(OsString),
    /// gvr removes it.
    Unset,
    /// The user's value, left alone.
    Kept(OsString),
    /// Left to the go command (its own default or the user's `go env -w` setting).
    Untouched,
}

impl EnvVar {
    pub fn set(name: &'static str, value: impl AsRef<OsStr>, why: impl Into<String>) -> EnvVar {
        EnvVar {
            name,
            value: EnvValue::Set(value.as_ref().to_owned()),
            why: why.into(),
        }
    }
    pub fn kept(name: &'static str, value: OsString, why: impl Into<String>) -> EnvVar {
        EnvVar {
            name,
            value: EnvValue::Kept(value),
            why: why.into(),
        }
    }
}

/// Applies the sets and removals of `vars` to `cmd`.
pub fn apply_env(cmd: &mut Command, vars: &[EnvVar]) {
    for var in vars {
        match &var.value {
            EnvValue::Set(v) => {
                cmd.env(var.name, v);
            }
            EnvValue::Unset => {
                cmd.env_remove(var.name);
            }
            EnvValue::Kept(_) | EnvValue::Untouched => {}
        }
    }
}
