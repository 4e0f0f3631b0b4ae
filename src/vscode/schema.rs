//! Every setting vscode-go defines (`data/vscode-go-settings.json`, taken from the
//! extension's package.json), embedded and parsed once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The schema file as shipped in this gvr.
pub const SCHEMA_JSON: &str = include_str!("../../data/vscode-go-settings.json");

/// The setting names and, for object settings with listed properties, those.
#[derive(Debug, Default)]
pub struct Schema {
    /// `go.*` settings and `gopls`, with the properties an object setting lists.
    pub settings: BTreeMap<String, Option<BTreeSet<String>>>,
    /// The `gopls` object's settings (`ui.completion.usePlaceholders`, …).
    pub gopls: BTreeSet<String>,
}

/// The embedded schema. Its validity is a unit test, so parsing cannot fail here.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        parse(SCHEMA_JSON).expect("data/vscode-go-settings.json is checked by the unit tests")
    })
}

fn parse(text: &str) -> Result<Schema, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let settings = v["settings"].as_object().ok_or("no `settings` object")?;
    let gopls = v["gopls_settings"]
        .as_object()
        .ok_or("no `gopls_settings` object")?;
    Ok(Schema {
        settings: settings
            .iter()
            .map(|(k, def)| {
                let props = def["properties"].as_array().map(|a| {
                    a.iter()
                        .filter_map(|p| p.as_str().map(str::to_string))
                        .collect()
                });
                (k.clone(), props)
            })
            .collect(),
        gopls: gopls.keys().cloned().collect(),
    })
}

/// Whether vscode-go defines the setting `key` (`go.alternateTools.gopls` counts when
/// `go.alternateTools` lists `gopls`).
pub fn is_go_setting(key: &str) -> bool {
    let s = schema();
    if s.settings.contains_key(key) {
        return true;
    }
    match key.rsplit_once('.') {
        Some((parent, prop)) => {
            matches!(s.settings.get(parent), Some(Some(props)) if props.contains(prop))
        }
        None => false,
    }
}

/// Whether gopls knows the sub-setting `key`. gopls keeps only the last dotted segment
/// (`ui.completion.usePlaceholders` and `usePlaceholders` are the same setting).
pub fn is_gopls_setting(key: &str) -> bool {
    let last = |k: &str| k.rsplit('.').next().unwrap_or(k).to_string();
    let want = last(key);
    schema().gopls.iter().any(|k| last(k) == want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_parses_and_knows_the_real_names() {
        let s = parse(SCHEMA_JSON).unwrap();
        assert!(s.settings.len() > 50);
        assert!(is_go_setting("go.languageServerFlags"));
        assert!(is_go_setting("go.alternateTools.gopls"));
        assert!(is_go_setting("go.toolsManagement.checkForUpdates"));
        assert!(!is_go_setting("go.goplsArgs"));
        assert!(!is_go_setting("go.goplsUsePlaceholders"));
        assert!(!is_go_setting("go.alternateTools.vim"));
        assert!(is_gopls_setting("ui.completion.usePlaceholders"));
        assert!(is_gopls_setting("usePlaceholders"));
        assert!(!is_gopls_setting("experimentalWorkspaceModule"));
    }
}
